package io.strata.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.strata.cache.NearCache;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;
import io.strata.testing.TestRedis;

/** The optional in-process near cache in front of L1. */
@QuarkusTest
@TestProfile(NearCacheTest.Enabled.class)
class NearCacheTest extends StrataTest {

    public static class Enabled implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strata.cache.near.enabled", "true", "strata.cache.near.ttl", "1s");
        }
    }

    @Inject
    TestRedis redis;

    @Inject
    NearCache near;

    @Test
    void hotEntriesAreServedFromMemoryForAtMostTheNearTtl() throws Exception {
        String body = chatBody(uniquePrompt());
        Response miss = chat(body);
        assertEquals("MISS", status(miss));
        awaitInL1(miss.header("X-Cache-Key"));
        Response hit = chat(body);
        assertEquals("HIT-NEAR", status(hit));
        assertEquals(miss.asString(), hit.asString());

        redis.del("strata:v1:" + miss.header("X-Cache-Key"));
        assertEquals("HIT-NEAR", status(chat(body)), "memory answers without Redis");
        Thread.sleep(1_100);
        assertEquals("HIT-L2", status(chat(body)), "after the near TTL the layers below are asked again");
        assertEquals("HIT-NEAR", status(chat(body)), "and the entry is kept in memory again");
        assertEquals(1, Provider.calls());
    }

    @Test
    void deletingAnEntryDropsItFromMemoryToo() {
        String body = chatBody(uniquePrompt());
        String key = chat(body).header("X-Cache-Key");
        awaitInL1(key);
        assertEquals("HIT-NEAR", status(chat(body)));
        near.remove(key);
        redis.del("strata:v1:" + key);
        assertEquals("HIT-L2", status(chat(body)));
    }
}
