package io.strata.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;

/**
 * How far behind Strata's event loops are: a probe on every loop every few milliseconds notes how
 * late it ran. A dependency's answers are read on whichever loop owns its connection (the Redis
 * client keeps all of its connections on one), so a deadline asks whether any loop is congested
 * before it blames the dependency.
 */
@Singleton
public class EventLoopLag {

    private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final Vertx vertx;
    private final List<Probe> probes = new ArrayList<>();

    public EventLoopLag(Vertx vertx) {
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent event) {
        for (EventExecutor loop : vertx.nettyEventLoopGroup()) {
            Probe probe = new Probe(System.nanoTime());
            probe.future = loop.scheduleAtFixedRate(probe::ran, PERIOD_NANOS, PERIOD_NANOS, TimeUnit.NANOSECONDS);
            probes.add(probe);
        }
    }

    void stop(@Observes ShutdownEvent event) {
        probes.forEach(probe -> probe.future.cancel(false));
    }

    /** The largest lag of any loop now, in milliseconds: how late its latest probe ran, or how long it has not run at all. */
    public long maxLagMillis() {
        long now = System.nanoTime();
        long max = 0;
        for (Probe probe : probes) {
            long overdue = now - probe.lastRunNanos - PERIOD_NANOS;
            max = Math.max(max, Math.max(probe.lastLagNanos, overdue));
        }
        return TimeUnit.NANOSECONDS.toMillis(max);
    }

    private static final class Probe {
        private final long startNanos;
        private long runs;
        private volatile long lastRunNanos;
        private volatile long lastLagNanos;
        private ScheduledFuture<?> future;

        Probe(long startNanos) {
            this.startNanos = startNanos;
            this.lastRunNanos = startNanos;
        }

        void ran() {
            long now = System.nanoTime();
            runs++;
            lastLagNanos = Math.max(0, now - (startNanos + runs * PERIOD_NANOS));
            lastRunNanos = now;
        }
    }
}
