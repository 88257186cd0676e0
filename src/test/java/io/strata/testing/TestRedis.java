package io.strata.testing;

import java.util.List;

import jakarta.inject.Singleton;

import io.vertx.mutiny.redis.client.RedisAPI;
import io.vertx.mutiny.redis.client.Response;

/**
 * The few Redis commands the tests send themselves (through the fault proxy, like Strata), over
 * Quarkus' default client. Not through a Redis data source: injecting one anywhere makes Quarkus
 * create the default client twice at start (see {@code StartupLogTest}).
 */
@Singleton
public class TestRedis {

    private final RedisAPI redis;

    public TestRedis(RedisAPI redis) {
        this.redis = redis;
    }

    public boolean exists(String key) {
        return redis.existsAndAwait(List.of(key)).toInteger() == 1;
    }

    /** Deletes the keys; answers how many existed. */
    public int del(String... keys) {
        return redis.delAndAwait(List.of(keys)).toInteger();
    }

    public String get(String key) {
        Response value = redis.getAndAwait(key);
        return value == null ? null : value.toString();
    }

    public void set(String key, String value) {
        redis.setAndAwait(List.of(key, value));
    }
}
