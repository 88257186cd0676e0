package io.strata.cache;

import java.util.List;
import java.util.stream.Collectors;

import jakarta.inject.Singleton;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.keys.KeyScanArgs;
import io.quarkus.redis.datasource.keys.ReactiveKeyCommands;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.strata.config.CacheConfig;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;

/**
 * L1: entries in Redis under {@code <prefix><key>}, expiring with Redis' own TTL. Lookups and
 * writes go through the pipelined per-event-loop connections; maintenance (stats, bulk deletes)
 * through the pooled data source.
 */
@Singleton
public class RedisLayer {

    private final PipelinedRedis pipelined;
    private final ReactiveKeyCommands<String> keys;
    private final ReactiveRedisDataSource redis;
    private final String prefix;
    private final long maxTtlMillis;
    private final long maxEntryBytes;

    public RedisLayer(PipelinedRedis pipelined, ReactiveRedisDataSource redis, CacheConfig config) {
        this.pipelined = pipelined;
        this.redis = redis;
        this.keys = redis.key();
        this.prefix = config.l1().keyPrefix();
        this.maxTtlMillis = config.l1().maxTtl().toMillis();
        this.maxEntryBytes = config.l1().maxEntrySize().asLongValue();
    }

    /** The entry under this key, or null; sent at once. */
    public Future<CacheEntry> get(String hexKey) {
        return pipelined.sendNow(Request.cmd(Command.GET).arg(prefix + hexKey))
                .map(reply -> reply == null ? null : CacheEntryCodec.decode(hexKey, reply.toBytes()));
    }

    /** Stores the entry for the rest of its freshness (at most the L1 maximum); false when it does not fit. */
    public Future<Boolean> put(CacheEntry entry, long nowMillis) {
        long ttl = Math.min(entry.expiresAtMillis() - nowMillis, maxTtlMillis);
        if (ttl <= 0 || entry.sizeBytes() > maxEntryBytes) {
            return Future.succeededFuture(false);
        }
        return pipelined.sendNow(Request.cmd(Command.PSETEX).arg(prefix + entry.key().hex()).arg(ttl)
                .arg(CacheEntryCodec.encode(entry))).map(true);
    }

    /** Entries (by a SCAN of the prefix, capped) and the memory Redis reports for the whole server. */
    public Uni<LayerStats> stats(int maxScanned) {
        var cursor = keys.scan(new KeyScanArgs().match(prefix + "*").count(1000));
        return cursor.toMulti().select().first(maxScanned).collect().with(Collectors.counting())
                .chain(count -> redis.execute("INFO", "memory").map(info -> new LayerStats(Layer.L1.tag(), true, count,
                        usedMemory(info.toString()), true)));
    }

    private static long usedMemory(String info) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("used_memory:")) {
                return Long.parseLong(line.substring("used_memory:".length()).strip());
            }
        }
        return -1;
    }

    /** Deletes these keys; answers how many existed. */
    public Uni<Integer> deleteAll(List<String> hexKeys) {
        if (hexKeys.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return keys.del(hexKeys.stream().map(k -> prefix + k).toArray(String[]::new));
    }

    public Future<Boolean> delete(String hexKey) {
        return pipelined.sendNow(Request.cmd(Command.DEL).arg(prefix + hexKey)).map(reply -> reply != null && reply.toInteger() > 0);
    }
}
