package io.strata.cache;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.strata.core.VertxFutures;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;

/**
 * Wakes the requests waiting for another instance's answer: the lock holder publishes on the
 * key's channel when it lets go (see {@link FlightLock#release}), and one subscriber connection
 * per instance hands the message to the waiters of that key. A waiter subscribes first, then
 * looks at L1 once, then waits: an answer that lands in between is never missed, and nobody polls.
 * When the subscriber connection is lost every waiter is woken to go on alone.
 * <p>
 * The instance holds one pattern subscription to every key's channel, made once, rather than one
 * per waited key: a Redis Cluster client sends a (un)subscription to any node, so per-key ones
 * would leak on the node that did not get the unsubscription; a publication reaches every node.
 */
@Singleton
public class LandingNotifications {

    private static final Logger LOG = Logger.getLogger(LandingNotifications.class);
    static final String CHANNEL_PREFIX = "strata:landed:";

    /** How a flight ended, as published to its waiters. */
    public enum Landing {
        /** The answer is in L1. */
        STORED,
        /** No entry will come (error, not storable, or the holder gave up): call the provider yourself. */
        ABANDONED
    }

    /** One request waiting for a key's landing. */
    public final class Waiter {
        private final String channel;
        private final CompletableFuture<Landing> landed = new CompletableFuture<>();

        private Waiter(String channel) {
            this.channel = channel;
        }

        /** Resolves with the landing; fails when notifications were lost. The caller bounds the wait. */
        public Uni<Landing> landing() {
            return Uni.createFrom().completionStage(landed);
        }

        /** Stops waiting. */
        public void cancel() {
            forget(this);
        }
    }

    private final Redis client;
    /** Waiters by channel, and the pattern subscription; guarded by this. */
    private final Map<String, List<Waiter>> waiters = new HashMap<>();
    private Future<Void> subscription;
    private Future<RedisConnection> subscriber;

    public LandingNotifications(Redis client) {
        this.client = client;
    }

    static String channel(String hexKey) {
        return CHANNEL_PREFIX + hexKey;
    }

    /** Resolves once Redis confirmed the subscription to this key's landing. */
    public Uni<Waiter> subscribe(String hexKey) {
        return VertxFutures.uni(() -> {
            String channel = channel(hexKey);
            Waiter waiter = new Waiter(channel);
            Future<Void> subscribed;
            synchronized (this) {
                waiters.computeIfAbsent(channel, c -> new ArrayList<>()).add(waiter);
                if (subscription == null) {
                    Future<Void> subscribing = subscriberConnection()
                            .compose(connection -> connection.send(Request.cmd(Command.PSUBSCRIBE).arg(CHANNEL_PREFIX + "*"))).mapEmpty();
                    subscription = subscribing;
                    subscribing.onFailure(failure -> {
                        synchronized (this) {
                            if (subscription == subscribing) {
                                subscription = null;
                            }
                        }
                    });
                }
                subscribed = subscription;
            }
            return subscribed.map(v -> waiter).onFailure(failure -> {
                LOG.debugf("Landing notifications unavailable: %s", failure.toString());
                forget(waiter);
            });
        });
    }

    private synchronized Future<RedisConnection> subscriberConnection() {
        if (subscriber != null) {
            return subscriber;
        }
        Future<RedisConnection> opening = client.connect();
        subscriber = opening;
        opening.onComplete(result -> {
            if (result.failed()) {
                lost(opening);
                return;
            }
            RedisConnection connection = result.result();
            connection.handler(this::dispatch);
            connection.exceptionHandler(failure -> lost(opening));
            connection.endHandler(ended -> lost(opening));
        });
        return opening;
    }

    /** The subscriber connection is gone: every subscription went with it, so every waiter is woken. */
    private void lost(Future<RedisConnection> which) {
        List<Waiter> woken = new ArrayList<>();
        synchronized (this) {
            if (subscriber != which) {
                return;
            }
            subscriber = null;
            subscription = null;
            waiters.values().forEach(woken::addAll);
            waiters.clear();
        }
        IllegalStateException lost = new IllegalStateException("Redis subscriber connection lost");
        woken.forEach(waiter -> waiter.landed.completeExceptionally(lost));
    }

    /** A pattern message: pmessage, pattern, channel, payload. Landings nobody here waits for are ignored. */
    private void dispatch(Response message) {
        if (message == null || (message.type() != ResponseType.PUSH && message.type() != ResponseType.MULTI)
                || message.size() < 4 || !"pmessage".equals(message.get(0).toString())) {
            return;
        }
        String channel = message.get(2).toString();
        Landing landing = Landing.STORED.name().equals(message.get(3).toString()) ? Landing.STORED : Landing.ABANDONED;
        List<Waiter> landed;
        synchronized (this) {
            landed = waiters.remove(channel);
        }
        if (landed != null) {
            landed.forEach(waiter -> waiter.landed.complete(landing));
        }
    }

    private synchronized void forget(Waiter waiter) {
        List<Waiter> list = waiters.get(waiter.channel);
        if (list != null && list.remove(waiter) && list.isEmpty()) {
            waiters.remove(waiter.channel);
        }
    }

    void stop(@Observes ShutdownEvent event) {
        Future<RedisConnection> connection;
        synchronized (this) {
            connection = subscriber;
            subscriber = null;
        }
        if (connection != null && connection.succeeded()) {
            connection.result().close();
        }
    }
}
