package io.strata.cache;

import java.util.List;

import jakarta.inject.Singleton;

import io.smallrye.mutiny.Uni;
import io.strata.config.CacheConfig;
import io.strata.core.VertxFutures;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;

/**
 * L1: entries in Redis under {@code <prefix><key>}, expiring with Redis' own TTL. Lookups and
 * writes go through the pipelined per-event-loop connections, and so do maintenance commands
 * (stats, bulk deletes). No Redis data source: with one injected anywhere Quarkus creates its
 * default client twice at start (the second, discarded, registers the pool's gauges again).
 */
@Singleton
public class RedisLayer {

    private final PipelinedRedis pipelined;
    private final String prefix;
    private final long maxTtlMillis;
    private final long maxEntryBytes;

    public RedisLayer(PipelinedRedis pipelined, CacheConfig config) {
        this.pipelined = pipelined;
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

    /**
     * Entries (by a SCAN of the prefix, capped) and the memory Redis reports, summed over every
     * master of a cluster. Always approximate: entries expire while they are counted.
     */
    public Uni<LayerStats> stats(int maxScanned) {
        Uni<Long> entries = pipelined.cluster()
                ? clusterEntries(maxScanned)
                : scanEntries("0", 0, maxScanned);
        return entries.chain(count -> pipelined.onEveryMaster(Request.cmd(Command.INFO).arg("memory"))
                .map(infos -> new LayerStats(Layer.L1.tag(), true, count,
                        infos.stream().mapToLong(info -> Math.max(0, usedMemory(info.toString()))).sum(), true)));
    }

    /** Follows a SCAN cursor over the prefix until it ends or {@code maxScanned} keys were seen. */
    private Uni<Long> scanEntries(String cursor, long seen, int maxScanned) {
        return pipelined.send(Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg(prefix + "*").arg("COUNT").arg(1000))
                .chain(page -> {
                    long total = Math.min(maxScanned, seen + page.get(1).size());
                    String next = page.get(0).toString();
                    return "0".equals(next) || total >= maxScanned ? Uni.createFrom().item(total) : scanEntries(next, total, maxScanned);
                });
    }

    /**
     * One SCAN per master that looks at up to {@code maxScanned} of its keys: a cluster client
     * sends a keyless command to any node, so a cursor cannot be followed across calls.
     */
    private Uni<Long> clusterEntries(int maxScanned) {
        return pipelined.onEveryMaster(Request.cmd(Command.SCAN).arg(0).arg("MATCH").arg(prefix + "*").arg("COUNT").arg(maxScanned))
                .map(pages -> pages.stream().mapToLong(page -> page.get(1).size()).sum());
    }

    private static long usedMemory(String info) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("used_memory:")) {
                return Long.parseLong(line.substring("used_memory:".length()).strip());
            }
        }
        return -1;
    }

    /**
     * Deletes these keys, one command each (keys of a cluster live on different nodes, and a
     * lost node must cost only its own keys); answers how many existed. Callers bound the list.
     */
    public Uni<Integer> deleteAll(List<String> hexKeys) {
        if (hexKeys.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return VertxFutures.uni(() -> {
            List<Future<Boolean>> deletes = new java.util.ArrayList<>(hexKeys.size());
            hexKeys.forEach(key -> deletes.add(delete(key).otherwise(false)));
            return Future.join(deletes).map(all -> (int) deletes.stream().filter(Future::result).count());
        });
    }

    public Future<Boolean> delete(String hexKey) {
        return pipelined.sendNow(Request.cmd(Command.DEL).arg(prefix + hexKey)).map(reply -> reply != null && reply.toInteger() > 0);
    }
}
