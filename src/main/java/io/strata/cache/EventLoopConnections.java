package io.strata.cache;

import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * One long-lived connection per event loop, opened lazily on that loop and shared by every
 * operation issued from it: commands are pipelined on it instead of queueing for a pooled
 * connection, so no request waits behind another for a connection, and replies are handled on
 * the loop that asked. Callers off the event loop get null and use the pooled client.
 * <p>
 * A connection that breaks is either forgotten (the next operation opens a new one), or, for a
 * connection made of several (a Redis Cluster connection holds one per node, and reports the end
 * of any of them), kept in use while a replacement is opened in the background: the nodes still
 * alive keep answering, and only the lost node's share of the commands fails until the
 * replacement is in.
 *
 * @param <C> the connection type
 */
final class EventLoopConnections<C> {

    /** Pause between two attempts to replace a partly broken connection. */
    static final long REPLACE_RETRY_MILLIS = 500;

    private final Supplier<Future<C>> open;
    private final BiConsumer<C, Runnable> onBroken;
    private final Consumer<C> close;
    private final boolean keepUntilReplaced;
    private final ThreadLocal<Slot<C>> slots = ThreadLocal.withInitial(Slot::new);

    /**
     * @param open     opens a connection on the current event loop
     * @param onBroken registers the runnable to call when the connection closes or fails
     */
    EventLoopConnections(Supplier<Future<C>> open, BiConsumer<C, Runnable> onBroken) {
        this(open, onBroken, false, connection -> {
        });
    }

    /**
     * @param keepUntilReplaced keep using a broken connection until a new one is open
     * @param close             closes a connection that was replaced
     */
    EventLoopConnections(Supplier<Future<C>> open, BiConsumer<C, Runnable> onBroken, boolean keepUntilReplaced, Consumer<C> close) {
        this.open = open;
        this.onBroken = onBroken;
        this.keepUntilReplaced = keepUntilReplaced;
        this.close = close;
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
                watch(slot, opening);
            }
        });
        return opening;
    }

    private void watch(Slot<C> slot, Future<C> connection) {
        onBroken.accept(connection.result(), () -> {
            if (!keepUntilReplaced) {
                slot.forget(connection);
            } else if (slot.connection == connection && !slot.replacing) {
                Context loop = Vertx.currentContext();
                if (loop == null) {
                    slot.forget(connection);
                } else {
                    slot.replacing = true;
                    replace(slot, connection, loop);
                }
            }
        });
    }

    /** Opens a successor on the loop of the broken connection, retrying until one opens; the old one serves meanwhile. */
    private void replace(Slot<C> slot, Future<C> broken, Context loop) {
        loop.runOnContext(now -> {
            Future<C> next = open.get();
            next.onComplete(result -> {
                if (slot.connection != broken) { // forgotten meanwhile (reset): nothing left to replace
                    slot.replacing = false;
                    if (result.succeeded()) {
                        close.accept(result.result());
                    }
                } else if (result.failed()) {
                    loop.owner().setTimer(REPLACE_RETRY_MILLIS, retry -> replace(slot, broken, loop));
                } else {
                    slot.replacing = false;
                    slot.connection = next;
                    watch(slot, next);
                    close.accept(broken.result());
                }
            });
        });
    }

    /** Forgets this loop's connection (after a failure that leaves it unusable). */
    void reset() {
        if (Context.isOnEventLoopThread()) {
            slots.get().connection = null;
        }
    }

    private static final class Slot<C> {
        private Future<C> connection;
        private boolean replacing;

        void forget(Future<C> which) {
            if (connection == which) {
                connection = null;
            }
        }
    }
}
