package io.strata.observability;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.cache.CacheMetrics;
import io.strata.cache.CacheStatus;
import io.vertx.mutiny.core.Vertx;

/** Keeps the last hour of requests by cache status in one-minute buckets, for the history explorer's overview. */
@Singleton
public class RequestTimelineSampler {

    static final Duration BUCKET = Duration.ofMinutes(1);
    static final int BUCKETS_KEPT = 60;

    private final CacheMetrics metrics;
    private final InstantSource clock;
    private final Vertx vertx;
    private final RequestTimeline timeline;
    private long timerId = -1;

    public RequestTimelineSampler(CacheMetrics metrics, InstantSource clock, Vertx vertx) {
        this.metrics = metrics;
        this.clock = clock;
        this.vertx = vertx;
        this.timeline = new RequestTimeline(BUCKET, BUCKETS_KEPT, clock.instant(), cumulative());
    }

    void onStart(@Observes StartupEvent event) {
        timerId = vertx.setPeriodic(BUCKET.toMillis(), id -> timeline.sample(clock.instant(), cumulative()));
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
    }

    public Duration bucketWidth() {
        return timeline.width();
    }

    /** Oldest first; the last bucket is the one still open. */
    public List<RequestTimeline.Bucket> buckets() {
        return timeline.buckets(cumulative());
    }

    private long[] cumulative() {
        CacheStatus[] statuses = CacheStatus.values();
        long[] sums = new long[statuses.length];
        for (CacheStatus status : statuses) {
            sums[status.ordinal()] = metrics.requestsSinceStart(status);
        }
        return sums;
    }
}
