package io.strata.proxy;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.strata.cache.CacheEntry;
import io.strata.config.CacheConfig;

/**
 * Refreshes entries that are hit often and close to expiry in the background, so a popular answer
 * is replaced before it expires instead of every client missing at once. Refreshes go through the
 * same guarded provider call as misses (its rate limit included) and are few at a time.
 */
@Singleton
public class RefreshAhead {

    private static final Logger LOG = Logger.getLogger(RefreshAhead.class);

    private final CacheConfig.RefreshAhead config;
    private final ConcurrentHashMap<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final Set<String> refreshing = ConcurrentHashMap.newKeySet();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Counter started;
    private final Counter stored;
    private final Counter failed;
    private final Counter skipped;

    public RefreshAhead(CacheConfig cache, MeterRegistry registry) {
        this.config = cache.refreshAhead();
        this.started = outcome(registry, "started");
        this.stored = outcome(registry, "stored");
        this.failed = outcome(registry, "failed");
        this.skipped = outcome(registry, "skipped");
    }

    private static Counter outcome(MeterRegistry registry, String outcome) {
        return Counter.builder("strata.cache.refresh").description("Refresh-ahead of popular entries near expiry, by outcome")
                .tag("outcome", outcome).register(registry);
    }

    /**
     * Notes a hit; when the entry is popular and near expiry, starts {@code refresh} in the
     * background. The supplier must fetch and store a fresh entry, answering whether it stored one.
     */
    public void onHit(CacheEntry entry, long nowMillis, Supplier<Uni<Boolean>> refresh) {
        if (!config.enabled()) {
            return;
        }
        long ttl = entry.expiresAtMillis() - entry.createdAtMillis();
        long remaining = entry.expiresAtMillis() - nowMillis;
        String key = entry.key().hex();
        if (hits.size() >= config.maxTrackedKeys() && !hits.containsKey(key)) {
            hits.clear(); // bounded memory: forgetting counts only delays a refresh
        }
        int count = hits.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        if (count < config.minHits() || remaining > ttl * config.remainingRatio() || !refreshing.add(key)) {
            return;
        }
        if (inFlight.incrementAndGet() > config.maxInFlight()) {
            inFlight.decrementAndGet();
            refreshing.remove(key);
            skipped.increment();
            return;
        }
        started.increment();
        hits.remove(key);
        Uni.createFrom().<Boolean>deferred(refresh::get)
                .onTermination().invoke(() -> {
                    inFlight.decrementAndGet();
                    refreshing.remove(key);
                })
                .subscribe().with(
                        ok -> (ok ? stored : failed).increment(),
                        failure -> {
                            failed.increment();
                            LOG.debugf("Refresh-ahead of %s failed: %s", key, failure.toString());
                        });
    }
}
