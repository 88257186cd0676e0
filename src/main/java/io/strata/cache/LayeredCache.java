package io.strata.cache;

import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.strata.config.CacheConfig;
import io.strata.observability.CacheMetrics;
import io.strata.observability.ThrottledLog;

/**
 * The layered lookup (L1 Redis, then L2 Postgres) and the asynchronous write-back (L2 then L1).
 * Every layer operation goes through a {@link LayerGuard}: a failing or slow layer is a miss,
 * never an error.
 */
@ApplicationScoped
public class LayeredCache {

    private static final Logger LOG = Logger.getLogger(LayeredCache.class);

    private final RedisLayer l1;
    private final PostgresLayer l2;
    private final LayerGuard l1Guard;
    private final LayerGuard l2Guard;
    private final boolean l1Enabled;
    private final boolean l2Enabled;
    private final int maxWriteBacksInFlight;
    private final AtomicInteger writeBacksInFlight = new AtomicInteger();
    private final ThrottledLog dropLog = new ThrottledLog(LOG, Logger.Level.WARN, 10_000);
    private final CacheMetrics metrics;

    private final NearCache near;

    public LayeredCache(NearCache near, RedisLayer l1, PostgresLayer l2, CacheConfig config, CacheMetrics metrics) {
        this.near = near;
        this.l1 = l1;
        this.l2 = l2;
        this.metrics = metrics;
        this.l1Enabled = config.l1().enabled();
        this.l2Enabled = config.l2().enabled();
        this.l1Guard = new LayerGuard(Layer.L1, config.l1().timeout(), config.breaker().failureThreshold(),
                config.breaker().openFor(), metrics);
        this.l2Guard = new LayerGuard(Layer.L2, config.l2().timeout(), config.breaker().failureThreshold(),
                config.breaker().openFor(), metrics);
        this.maxWriteBacksInFlight = config.writeBack().maxInFlight();
    }

    /** Looks the key up layer by layer; an L2 hit is promoted to L1 in the background. */
    public Uni<CacheLookup> lookup(CacheKey key, long nowMillis) {
        CacheEntry inMemory = near.get(key.hex(), nowMillis);
        if (inMemory != null) {
            return Uni.createFrom().item(CacheLookup.hit(inMemory, Layer.NEAR));
        }
        return lookupL1(key, nowMillis).chain(found -> {
            if (found != null) {
                near.put(found, nowMillis);
                return Uni.createFrom().item(CacheLookup.hit(found, Layer.L1));
            }
            return lookupL2(key, nowMillis);
        });
    }

    /** L1 alone: how a request waiting for another instance's answer sees it land. */
    public Uni<CacheEntry> peekL1(CacheKey key, long nowMillis) {
        return lookupL1(key, nowMillis);
    }

    private Uni<CacheEntry> lookupL1(CacheKey key, long nowMillis) {
        if (!l1Enabled) {
            return Uni.createFrom().nullItem();
        }
        long start = System.nanoTime();
        return l1Guard.call("get", () -> l1.get(key.hex()), null)
                .map(entry -> {
                    CacheEntry fresh = entry != null && entry.freshAt(nowMillis) ? entry : null;
                    metrics.lookup(Layer.L1, fresh != null ? "hit" : "miss", System.nanoTime() - start);
                    return fresh;
                });
    }

    private Uni<CacheLookup> lookupL2(CacheKey key, long nowMillis) {
        if (!l2Enabled) {
            return Uni.createFrom().item(CacheLookup.miss());
        }
        long start = System.nanoTime();
        return l2Guard.call("get", () -> l2.get(key.hex(), nowMillis), null)
                .map(entry -> {
                    CacheLookup result;
                    if (entry == null) {
                        result = CacheLookup.miss();
                    } else if (entry.freshAt(nowMillis)) {
                        near.put(entry, nowMillis);
                        promote(entry, nowMillis);
                        result = CacheLookup.hit(entry, Layer.L2);
                    } else {
                        result = CacheLookup.stale(entry);
                    }
                    metrics.lookup(Layer.L2, result.isHit() ? "hit" : result.staleCandidate() != null ? "stale" : "miss",
                            System.nanoTime() - start);
                    return result;
                });
    }

    /** Stores a fresh answer in L2 then L1 without delaying the caller; bounded, observed and counted. */
    public void writeBack(CacheEntry entry, long nowMillis) {
        writeBack(entry, nowMillis, () -> {
        });
    }

    /** As {@link #writeBack(CacheEntry, long)}, running {@code whenDone} once the write-back has ended (or was dropped). */
    public void writeBack(CacheEntry entry, long nowMillis, Runnable whenDone) {
        near.put(entry, nowMillis);
        Uni<Boolean> toL2 = l2Enabled ? l2Guard.call("put", () -> l2.put(entry), false) : Uni.createFrom().item(false);
        runInBackground("stored", toL2.chain(inL2 -> (l1Enabled
                ? l1Guard.call("put", () -> l1.put(entry, nowMillis), false)
                : Uni.createFrom().item(false))
                .invoke(inL1 -> LOG.debugf("Write-back of %s: l2=%s l1=%s", entry.key().hex(), inL2, inL1))), whenDone);
    }

    private void promote(CacheEntry entry, long nowMillis) {
        if (l1Enabled) {
            runInBackground("promoted", l1Guard.call("put", () -> l1.put(entry, nowMillis), false), () -> {
            });
        }
    }

    /** Removes one entry from every layer; answers whether any layer held it. */
    public Uni<Boolean> delete(String hexKey) {
        near.remove(hexKey);
        Uni<Boolean> fromL1 = l1Enabled ? l1Guard.call("delete", () -> l1.delete(hexKey), false) : Uni.createFrom().item(false);
        Uni<Boolean> fromL2 = l2Enabled ? l2Guard.call("delete", () -> l2.delete(hexKey), false) : Uni.createFrom().item(false);
        return Uni.combine().all().unis(fromL1, fromL2).with((a, b) -> a || b);
    }

    /** Entry and byte counts of each layer; a layer that cannot be asked is reported unavailable. */
    public Uni<java.util.List<LayerStats>> stats() {
        Uni<LayerStats> s1 = l1Enabled ? l1.stats(100_000).ifNoItem().after(java.time.Duration.ofSeconds(5)).fail()
                .onFailure().recoverWithItem(LayerStats.unavailable(Layer.L1.tag())) : Uni.createFrom().item(LayerStats.unavailable(Layer.L1.tag()));
        Uni<LayerStats> s2 = l2Enabled ? l2.stats().ifNoItem().after(java.time.Duration.ofSeconds(5)).fail()
                .onFailure().recoverWithItem(LayerStats.unavailable(Layer.L2.tag())) : Uni.createFrom().item(LayerStats.unavailable(Layer.L2.tag()));
        return Uni.combine().all().unis(s1, s2).with((a, b) -> java.util.List.of(a, b));
    }

    /**
     * Removes every entry matching the criteria. L2 holds every entry L1 does (write-back goes to
     * L2 first), so L2 names the keys and both layers drop them. Answers how many entries went.
     */
    public Uni<Integer> invalidate(InvalidationCriteria criteria) {
        near.clear(); // near entries carry no namespace index: drop them all, they refill from L1
        return l2.invalidate(criteria).chain(keys -> (l1Enabled ? l1.deleteAll(keys) : Uni.createFrom().item(0))
                .onFailure().recoverWithItem(0)
                .map(ignored -> keys.size()));
    }

    private void runInBackground(String successOutcome, Uni<?> work, Runnable whenDone) {
        if (writeBacksInFlight.incrementAndGet() > maxWriteBacksInFlight) {
            writeBacksInFlight.decrementAndGet();
            metrics.writeBack("dropped");
            dropLog.occurred("Cache write-back dropped: " + maxWriteBacksInFlight + " already in flight");
            whenDone.run();
            return;
        }
        work.onTermination().invoke(() -> {
                    writeBacksInFlight.decrementAndGet();
                    whenDone.run();
                })
                .subscribe().with(
                        ignored -> metrics.writeBack(successOutcome),
                        failure -> {
                            metrics.writeBack("failed");
                            LOG.debugf("Cache write-back failed: %s", failure.toString());
                        });
    }

    /** Whether the layer is being skipped after repeated failures. */
    public boolean isSkipping(Layer layer) {
        return layer != Layer.NEAR && (layer == Layer.L1 ? l1Guard : l2Guard).isOpen();
    }

    /** Write-backs currently running, for tests and the admin stats. */
    public int writeBacksInFlight() {
        return writeBacksInFlight.get();
    }
}
