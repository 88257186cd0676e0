package io.strata.cache;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.keys.ReactiveKeyCommands;
import io.quarkus.redis.datasource.value.ReactiveValueCommands;
import io.smallrye.mutiny.Uni;
import io.strata.config.CacheConfig;

/** L1: entries in Redis under {@code <prefix><key>}, expiring with Redis' own TTL. */
@ApplicationScoped
public class RedisLayer {

    private final ReactiveValueCommands<String, byte[]> values;
    private final ReactiveKeyCommands<String> keys;
    private final String prefix;
    private final long maxTtlMillis;
    private final long maxEntryBytes;

    public RedisLayer(ReactiveRedisDataSource redis, CacheConfig config) {
        this.values = redis.value(byte[].class);
        this.keys = redis.key();
        this.prefix = config.l1().keyPrefix();
        this.maxTtlMillis = config.l1().maxTtl().toMillis();
        this.maxEntryBytes = config.l1().maxEntrySize().asLongValue();
    }

    /** The entry under this key, or null. */
    public Uni<CacheEntry> get(String hexKey) {
        return values.get(prefix + hexKey).map(bytes -> CacheEntryCodec.decode(hexKey, bytes));
    }

    /** Stores the entry for the rest of its freshness (at most the L1 maximum); false when it does not fit. */
    public Uni<Boolean> put(CacheEntry entry, long nowMillis) {
        long ttl = Math.min(entry.expiresAtMillis() - nowMillis, maxTtlMillis);
        if (ttl <= 0 || entry.body().length > maxEntryBytes) {
            return Uni.createFrom().item(false);
        }
        return values.psetex(prefix + entry.key().hex(), ttl, CacheEntryCodec.encode(entry)).replaceWith(true);
    }

    public Uni<Boolean> delete(String hexKey) {
        return keys.del(prefix + hexKey).map(n -> n > 0);
    }
}
