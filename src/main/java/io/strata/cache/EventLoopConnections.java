package io.strata.cache;

import java.util.function.BiConsumer;
import java.util.function.Supplier;

import io.vertx.core.Context;
import io.vertx.core.Future;

/**
 * One long-lived connection per event loop, opened lazily on that loop and shared by every
 * operation issued from it: commands are pipelined on it instead of queueing for a pooled
 * connection, so no request waits behind another for a connection, and replies are handled on
 * the loop that asked. A connection that breaks is forgotten and the next operation opens a new
 * one. Callers off the event loop get null and use the pooled client.
 *
 * @param <C> the connection type
 */
final class EventLoopConnections<C> {

    private final Supplier<Future<C>> open;
    private final BiConsumer<C, Runnable> onBroken;
    private final ThreadLocal<Slot<C>> slots = ThreadLocal.withInitial(Slot::new);

    /**
     * @param open     opens a connection on the current event loop
     * @param onBroken registers the runnable to call when the connection closes or fails
     */
    EventLoopConnections(Supplier<Future<C>> open, BiConsumer<C, Runnable> onBroken) {
        this.open = open;
        this.onBroken = onBroken;
    }

    /** This event loop's connection (being opened, or open), or null off the event loop. */
    Future<C> current() {
        if (!Context.isOnEventLoopThread()) {
            return null;
        }
        Slot<C> slot = slots.get();
        Future<C> existing = slot.connection;
        if (existing != null) {
            return existing;
        }
        Future<C> opening = open.get();
        slot.connection = opening;
        opening.onComplete(result -> {
            if (result.failed()) {
                slot.forget(opening);
            } else {
                onBroken.accept(result.result(), () -> slot.forget(opening));
            }
        });
        return opening;
    }

    /** Forgets this loop's connection (after a failure that leaves it unusable). */
    void reset() {
        if (Context.isOnEventLoopThread()) {
            slots.get().connection = null;
        }
    }

    private static final class Slot<C> {
        private Future<C> connection;

        void forget(Future<C> which) {
            if (connection == which) {
                connection = null;
            }
        }
    }
}
