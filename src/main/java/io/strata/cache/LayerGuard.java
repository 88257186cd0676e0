package io.strata.cache;

import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.strata.core.Deadlines;
import io.vertx.core.Future;

/**
 * Makes a cache layer degrade to a miss: an operation that fails or outlives its timeout answers
 * the fallback value instead of an error, and after enough consecutive failures the layer is
 * skipped for a while (a small circuit breaker) so a dead server is not hammered on every request.
 * The timeout is a {@link Deadlines} one: a reply that waits behind Strata's own work is not a
 * failure of the layer; and an operation that still times out while other operations of the layer
 * succeed is a miss counted as late, not a failure (the layer is alive). Likewise the layer is
 * only skipped when it answered nothing within its timeout: a Redis Cluster that lost one master
 * fails that master's share of the operations while the others answer, and skipping the whole
 * layer would turn a third of the keys' failure into all of them: the breaker opens after the
 * threshold of consecutive failures only if no operation succeeded in the last second (or since
 * the last pause).
 */
public final class LayerGuard {

    private static final Logger LOG = Logger.getLogger(LayerGuard.class);

    private final Layer layer;
    private final Deadlines deadlines;
    private final long timeoutMillis;
    private final int failureThreshold;
    private final long openForMillis;
    private final CacheMetrics metrics;
    private final InstantSource clock;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicLong openUntilMillis = new AtomicLong();
    /** When an operation of this layer last succeeded: a timed-out one is the layer's fault only if none did since it was sent. */
    private volatile long lastAnswerNanos;
    /** When the layer was last let through again after a pause (or created). */
    private volatile long closedAtNanos = System.nanoTime();
    /** A layer that answered anything this recently (and since its last pause) is alive, if partly failing. */
    private static final long LIVENESS_WINDOW_NANOS = 1_000_000_000L;

    public LayerGuard(Layer layer, Deadlines deadlines, Duration timeout, int failureThreshold, Duration openFor, CacheMetrics metrics,
            InstantSource clock) {
        this.layer = layer;
        this.deadlines = deadlines;
        this.timeoutMillis = timeout.toMillis();
        this.failureThreshold = failureThreshold;
        this.openForMillis = openFor.toMillis();
        this.metrics = metrics;
        this.clock = clock;
        this.lastAnswerNanos = System.nanoTime() - Long.MAX_VALUE / 2; // "never answered", overflow-safe
        metrics.registerLayerState(layer, this::isOpen);
    }

    /**
     * Runs the operation unless the layer is open; any failure or timeout answers {@code fallback}.
     * One Uni around Vert.x futures: a lookup costs no chain of operators.
     */
    public <T> Uni<T> call(String operation, Supplier<Future<T>> action, T fallback) {
        return Uni.createFrom().emitter(emitter -> {
            if (isOpen()) {
                metrics.layerSkipped(layer, operation);
                emitter.complete(fallback);
                return;
            }
            long sentNanos = System.nanoTime();
            Future<T> started;
            try {
                started = action.get();
            } catch (RuntimeException e) {
                recordFailure(operation, e);
                emitter.complete(fallback);
                return;
            }
            deadlines.race(started, timeoutMillis, null).onComplete(result -> {
                if (result.succeeded()) {
                    recordSuccess();
                    emitter.complete(result.result());
                } else if (result.cause() instanceof Deadlines.DeadlineExceeded && lastAnswerNanos > sentNanos) {
                    // the layer answered other operations meanwhile: it is alive, and this one waited behind Strata's own work
                    metrics.layerLate(layer, operation);
                    emitter.complete(fallback);
                } else {
                    recordFailure(operation, result.cause());
                    emitter.complete(fallback);
                }
            });
        });
    }

    public boolean isOpen() {
        long until = openUntilMillis.get();
        if (until == 0) {
            return false;
        }
        if (clock.millis() < until) {
            return true;
        }
        // The pause is over: let requests through as trials. Until one of them succeeds the layer
        // counts as dead, so the threshold of failed trials re-opens it.
        if (openUntilMillis.compareAndSet(until, 0)) {
            closedAtNanos = System.nanoTime();
        }
        return false;
    }

    private void recordSuccess() {
        lastAnswerNanos = System.nanoTime();
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
    }

    private void recordFailure(String operation, Throwable failure) {
        metrics.layerFailed(layer, operation);
        int failures = consecutiveFailures.incrementAndGet();
        long sinceAnswer = System.nanoTime() - lastAnswerNanos;
        boolean alive = lastAnswerNanos - closedAtNanos > 0 && sinceAnswer < LIVENESS_WINDOW_NANOS;
        if (failures >= failureThreshold && !alive) {
            long until = clock.millis() + openForMillis;
            if (openUntilMillis.getAndSet(until) == 0) {
                LOG.warnf("Cache layer %s is failing (%s); skipping it for %d ms", layer.tag(), describe(failure), openForMillis);
            }
            consecutiveFailures.set(0);
        } else {
            LOG.debugf("Cache layer %s %s failed: %s", layer.tag(), operation, describe(failure));
        }
    }

    private static String describe(Throwable failure) {
        return failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
    }
}
