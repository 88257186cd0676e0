package io.strata.core;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import jakarta.inject.Singleton;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * Timeouts that measure the dependency, not Strata's own queue. Mutiny's {@code ifNoItem().after()}
 * fires on a scheduler thread by the wall clock, so when Strata's event loops are saturated an
 * answer that already arrived, but waits behind other work, is declared late: Strata's load would
 * read as a failing dependency. Here the timer runs on the caller's event loop, and when it fires
 * it gives the loop one more turn (a 1 ms timer runs only after the loop has read its sockets
 * again), so an answer waiting in a socket is taken first. If that turn took long, or any event
 * loop is behind ({@link EventLoopLag}: the loop that reads the dependency's socket may be another
 * one), the span says nothing about the dependency and the wait is extended, up to ten timeouts
 * (at least a second);
 * only while the loops turn freely is a missing answer late.
 */
@Singleton
public class Deadlines {

    /** A loop this far behind (and a quarter of the timeout) is congested. */
    private static final long CONGESTED_MILLIS = 2;
    /** The longest a congested wait is extended: ten timeouts, and at least a second (a cold JVM under load). */
    private static final int MAX_TIMEOUTS = 10;
    private static final long MIN_HARD_LIMIT_MILLIS = 1000;

    private final Vertx vertx;
    private final EventLoopLag lag;

    public Deadlines(Vertx vertx, EventLoopLag lag) {
        this.vertx = vertx;
        this.lag = lag;
    }

    /** The operation's item, or a {@link DeadlineExceeded} failure if no answer came in time. */
    public <T> Uni<T> within(long timeoutMillis, Uni<T> operation) {
        return within(timeoutMillis, operation, null);
    }

    /**
     * As {@link #within(long, Uni)}; an item that arrives after the deadline is handed to
     * {@code lateItem} (for example to release a lock taken too late), never dropped unseen.
     */
    public <T> Uni<T> within(long timeoutMillis, Uni<T> operation, Consumer<? super T> lateItem) {
        return VertxFutures.uni(() -> {
            Promise<T> answer = Promise.promise();
            operation.subscribe().with(answer::complete, answer::fail);
            return race(answer.future(), timeoutMillis, lateItem);
        });
    }

    /** The started operation's outcome, or a {@link DeadlineExceeded} failure if no answer came in time. */
    public <T> Future<T> race(Future<T> operation, long timeoutMillis, Consumer<? super T> lateItem) {
        long timeout = Math.max(1, timeoutMillis);
        long congested = Math.max(CONGESTED_MILLIS, timeout / 4);
        long hardLimitNanos = System.nanoTime() + Math.max(MAX_TIMEOUTS * timeout, MIN_HARD_LIMIT_MILLIS) * 1_000_000L;
        Promise<T> outcome = Promise.promise();
        AtomicBoolean settled = new AtomicBoolean();
        long[] timer = new long[1];
        Runnable[] arm = new Runnable[1];
        arm[0] = () -> timer[0] = vertx.setTimer(timeout, first -> {
            if (settled.get()) {
                return;
            }
            long fired = System.nanoTime();
            timer[0] = vertx.setTimer(1, turn -> {
                long turnMillis = (System.nanoTime() - fired) / 1_000_000;
                boolean busy = turnMillis > congested || lag.maxLagMillis() > congested;
                if (busy && System.nanoTime() < hardLimitNanos && !settled.get()) {
                    arm[0].run();
                } else if (settled.compareAndSet(false, true)) {
                    outcome.fail(new DeadlineExceeded(timeoutMillis));
                }
            });
        });
        arm[0].run();
        operation.onComplete(result -> {
            if (settled.compareAndSet(false, true)) {
                vertx.cancelTimer(timer[0]);
                outcome.handle(result);
            } else if (lateItem != null && result.succeeded()) {
                lateItem.accept(result.result());
            }
        });
        return outcome.future();
    }

    /** The operation did not answer within its deadline. */
    public static final class DeadlineExceeded extends RuntimeException {
        public DeadlineExceeded(long millis) {
            super("no answer within " + millis + " ms", null, false, false);
        }
    }
}
