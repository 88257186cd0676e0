package io.strata.cache;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.strata.config.CacheConfig;
import io.strata.core.Deadlines;
import io.strata.core.ThrottledLog;
import io.strata.core.VertxFutures;

/**
 * The layered lookup (near cache, L1 Redis, then L2 Postgres) and the asynchronous write-back
 * (L1 and L2 at once, so the next identical request is an L1 hit). Every layer operation goes
 * through a {@link LayerGuard}: a failing or slow layer is a miss, never an error.
 */
@Singleton
public class LayeredCache {

    private static final Logger LOG = Logger.getLogger(LayeredCache.class);
    private static final Duration STATS_TIMEOUT = Duration.ofSeconds(5);

    private final NearCache near;
    private final RedisLayer l1;
    private final PostgresLayer l2;
    private final LayerGuard l1Guard;
    private final LayerGuard l2Guard;
    private final boolean l1Enabled;
    private final boolean l2Enabled;
    private final long l1TimeoutMillis;
    private final int maxWriteBacksInFlight;
    private final AtomicInteger writeBacksInFlight = new AtomicInteger();
    private final ThrottledLog dropLog = new ThrottledLog(LOG, Logger.Level.WARN, 10_000);
    private final CacheMetrics metrics;
    private final Deadlines deadlines;
    private final InstantSource clock;

    public LayeredCache(NearCache near, RedisLayer l1, PostgresLayer l2, CacheConfig config, CacheMetrics metrics, Deadlines deadlines,
            InstantSource clock) {
        this.near = near;
        this.l1 = l1;
        this.l2 = l2;
        this.metrics = metrics;
        this.deadlines = deadlines;
        this.clock = clock;
        this.l1Enabled = config.l1().enabled();
        this.l2Enabled = config.l2().enabled();
        this.l1TimeoutMillis = config.l1().timeout().toMillis();
        this.l1Guard = new LayerGuard(Layer.L1, deadlines, config.l1().timeout(), config.breaker().failureThreshold(),
                config.breaker().openFor(), metrics, clock);
        this.l2Guard = new LayerGuard(Layer.L2, deadlines, config.l2().timeout(), config.breaker().failureThreshold(),
                config.breaker().openFor(), metrics, clock);
        this.maxWriteBacksInFlight = config.writeBack().maxInFlight();
    }

    /** Near cache then L1: the layers a hit is expected in. Null when neither holds a fresh entry. */
    public Uni<CacheLookup> lookupFast(CacheKey key, long nowMillis) {
        CacheEntry inMemory = near.get(key.hex(), nowMillis);
        if (inMemory != null) {
            return Uni.createFrom().item(CacheLookup.hit(inMemory, Layer.NEAR));
        }
        if (!l1Enabled) {
            return Uni.createFrom().item(CacheLookup.miss());
        }
        long start = System.nanoTime();
        return l1Guard.call("get", () -> l1.get(key.hex()), null).map(entry -> {
            boolean fresh = entry != null && entry.freshAt(nowMillis);
            metrics.lookup(Layer.L1, fresh ? "hit" : "miss", System.nanoTime() - start);
            if (!fresh) {
                return CacheLookup.miss();
            }
            near.put(entry, nowMillis);
            return CacheLookup.hit(entry, Layer.L1);
        });
    }

    /** L2: a fresh entry (promoted to L1 in the background), an expired one inside its stale grace, or a miss. */
    public Uni<CacheLookup> lookupL2(CacheKey key, long nowMillis) {
        if (!l2Enabled) {
            return Uni.createFrom().item(CacheLookup.miss());
        }
        long start = System.nanoTime();
        return l2Guard.call("get", () -> l2.get(key.hex(), nowMillis), null).map(entry -> {
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

    /** Every layer in turn. */
    public Uni<CacheLookup> lookup(CacheKey key, long nowMillis) {
        return lookupFast(key, nowMillis).chain(found -> found.isHit() ? Uni.createFrom().item(found) : lookupL2(key, nowMillis));
    }

    /**
     * L1 read for a request told that another instance stored the answer: bounded by the L1
     * timeout but not skipped while the L1 breaker is open (Redis just answered the lock and the
     * notification). Null when the entry is not there or Redis does not answer.
     */
    public Uni<CacheEntry> readL1(CacheKey key, long nowMillis) {
        if (!l1Enabled) {
            return Uni.createFrom().nullItem();
        }
        return VertxFutures.uni(() -> deadlines.race(l1.get(key.hex()), l1TimeoutMillis, null))
                .map(entry -> entry != null && entry.freshAt(nowMillis) ? entry : null)
                .onFailure().recoverWithNull();
    }

    /**
     * Stores a fresh answer in L1 and L2 at once without delaying the caller; bounded, observed and
     * counted. {@code whenReadable} runs once, as soon as the next lookup can find the entry (L1
     * has it), or when the write-back ended without that.
     */
    public void writeBack(CacheEntry entry, long nowMillis, Runnable whenReadable) {
        writeBack(entry, nowMillis, whenReadable, null);
    }

    /**
     * As {@link #writeBack(CacheEntry, long, Runnable)}; {@code afterL2}, when given, runs once the
     * entry is in L2 (what must refer to the row, such as its semantic vector), inside the same
     * bounded write-back. Its failure is its own: the entry stays stored.
     */
    public void writeBack(CacheEntry entry, long nowMillis, Runnable whenReadable, Function<CacheEntry, Uni<Boolean>> afterL2) {
        near.put(entry, nowMillis);
        AtomicBoolean told = new AtomicBoolean();
        Runnable readable = () -> {
            if (told.compareAndSet(false, true)) {
                whenReadable.run();
            }
        };
        // null: the layer failed; false: nothing stored there (disabled or too large); true: stored
        Uni<Boolean> toL1 = (l1Enabled ? l1Guard.call("put", () -> l1.put(entry, nowMillis), null) : Uni.createFrom().item(false))
                .invoke(stored -> {
                    if (Boolean.TRUE.equals(stored)) {
                        readable.run();
                    }
                });
        Uni<Boolean> toL2 = l2Enabled ? l2Guard.call("put", () -> l2.put(entry), null) : Uni.createFrom().item(false);
        if (afterL2 != null) {
            toL2 = toL2.chain(stored -> Boolean.TRUE.equals(stored)
                    ? afterL2.apply(entry).onFailure().recoverWithNull().replaceWith(stored)
                    : Uni.createFrom().item(stored));
        }
        runInBackground(Uni.combine().all().unis(toL1, toL2).with((inL1, inL2) -> {
            LOG.debugf("Write-back of %s: l1=%s l2=%s", entry.key().hex(), inL1, inL2);
            return inL1 == null || inL2 == null ? "failed" : inL1 || inL2 ? "stored" : "skipped";
        }), readable);
    }

    private void promote(CacheEntry entry, long nowMillis) {
        if (l1Enabled) {
            runInBackground(l1Guard.call("put", () -> l1.put(entry, nowMillis), null)
                    .map(stored -> stored == null ? "failed" : stored ? "promoted" : "skipped"), () -> {
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
    public Uni<List<LayerStats>> stats() {
        Uni<LayerStats> s1 = l1Enabled
                ? l1.stats(100_000).ifNoItem().after(STATS_TIMEOUT).fail()
                        .onFailure().recoverWithItem(LayerStats.unavailable(Layer.L1.tag()))
                : Uni.createFrom().item(LayerStats.unavailable(Layer.L1.tag()));
        Uni<LayerStats> s2 = l2Enabled
                ? l2.stats().ifNoItem().after(STATS_TIMEOUT).fail()
                        .onFailure().recoverWithItem(LayerStats.unavailable(Layer.L2.tag()))
                : Uni.createFrom().item(LayerStats.unavailable(Layer.L2.tag()));
        return Uni.combine().all().unis(s1, s2).with((a, b) -> List.of(a, b));
    }

    /**
     * Removes every entry matching the criteria, a bounded batch at a time: each batch's rows go
     * from L2 (which holds every entry L1 does: a write-back that reached only L1 lives there at
     * most its L1 TTL), then its keys from L1, then the next batch, so no statement or command is
     * large and requests interleave with the work. Answers how many entries went (the rows
     * deleted: each once).
     */
    public Uni<Integer> invalidate(InvalidationCriteria criteria) {
        near.clear(); // near entries carry no namespace index: drop them all, they refill from L1
        return invalidateFrom(criteria, 0);
    }

    private Uni<Integer> invalidateFrom(InvalidationCriteria criteria, int removedSoFar) {
        return l2.invalidateBatch(criteria).chain(keys -> (l1Enabled ? l1.deleteAll(keys) : Uni.createFrom().item(0))
                .onFailure().recoverWithItem(0)
                .chain(ignored -> keys.size() < PostgresLayer.INVALIDATION_BATCH
                        ? Uni.createFrom().item(removedSoFar + keys.size())
                        : invalidateFrom(criteria, removedSoFar + keys.size())));
    }

    private void runInBackground(Uni<String> work, Runnable whenDone) {
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
        }).subscribe().with(metrics::writeBack, failure -> {
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
