package io.strata.api;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.strata.config.ApiConfig;
import io.strata.core.OpenAiErrors;
import io.strata.core.StrataException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * SIGTERM without a request cut. Quarkus' own graceful shutdown keeps serving every new request
 * while it waits for the ones in flight, so under continuous load the wait ends when the count
 * happens to touch zero, and the server then closes every connection, with requests in transit on
 * them: resets. Here the shutdown is run from Quarkus' pre-shutdown notice
 * ({@link ShutdownDelayInitiatedEvent}, fired on the shutdown thread before Quarkus waits for
 * anything; {@code quarkus.shutdown.delay-enabled=true} makes it fire), in three steps:
 * <ol>
 * <li><b>Delay</b> ({@code strata.api.shutdown-delay}, 0 by default): readiness reports DOWN so a
 * Service stops routing here; requests are served as usual, each answer with
 * {@code Connection: close}, the connection closed after it, so kept-alive clients reconnect
 * elsewhere.</li>
 * <li><b>Drain</b> (at most {@code strata.api.shutdown-grace}): requests in flight finish (their answer
 * closes its connection); a request arriving now is answered at once with 503
 * {@code shutting_down}, {@code Retry-After: 1}, {@code Connection: close} (recorded, with its
 * X-Request-Id, by the proxy routes; counted in {@code strata_http_shutdown_refused_total}), so
 * the set in flight only shrinks.</li>
 * <li><b>Quiet</b>: the drain ends once nothing is in flight, every connection still open has
 * carried no request for {@link #QUIET} and no request was served in that time, so a request sent
 * right after an answer (on a kept-alive connection, or on a new one after a closing answer) is
 * still answered (503) rather than met by the close. Only then does Quarkus stop the
 * server (connections still open are idle ones) and the history writer drain its queue.</li>
 * </ol>
 * HTTP/1 connections are tracked per connection (a volatile write per request, nothing registered
 * per request while serving); HTTP/2 connections are tracked too (registered at their first
 * request, their streams in flight counted one by one): once the shutdown has begun, an HTTP/2 connection is sent GOAWAY (NO_ERROR, the last stream it carried) as soon as it
 * has no stream in flight (at once if it is idle, else when its last one is answered), so its client
 * opens a new connection for its next request instead of sending it on this one until the server
 * closes it under them. Not while streams are in flight: the JDK's HttpClient without the
 * JDK-8335181 fix (JDK 17.0.15 has not), which upgrades a plain-HTTP URL to h2c by default, fails every
 * stream in flight on a GOAWAY. The quiet step then also waits until every HTTP/2 connection still open was sent its GOAWAY
 * {@link #QUIET} ago (a stream sent before the client read it is ignored by the server, and the client
 * may retry it elsewhere; closing the connection at once could reset the GOAWAY away with it).
 */
@Singleton
public class ShutdownDrain {

    private static final Logger LOG = Logger.getLogger(ShutdownDrain.class);

    /** First of all routes. */
    private static final int ORDER = Integer.MIN_VALUE;
    /** How long every connection must have been idle, with nothing in flight, before the server may close them. */
    static final Duration QUIET = Duration.ofMillis(500);
    private static final long POLL_MILLIS = 20;
    private static final AttributeKey<Tracked> TRACKED = AttributeKey.valueOf("strata.connection.shutdown");
    private static final AttributeKey<Http2Tracked> TRACKED_HTTP2 = AttributeKey.valueOf("strata.connection.shutdown.http2");
    /** Routing-context key of a request that arrived while draining: it is refused. */
    private static final String REFUSE = "strata.shutdown.refuse";

    private enum Phase {
        SERVING, CLOSING, DRAINING
    }

    /** An HTTP/1 connection and its latest request (written on its event loop, read by the drain). */
    private static final class Tracked {
        final Channel channel;
        volatile RoutingContext latest;
        /** The drain's own view (shutdown thread only): the latest request it saw, and when it last saw one or saw it in flight. */
        RoutingContext seen;
        long activeAt;

        Tracked(Channel channel) {
            this.channel = channel;
        }
    }

    /** An HTTP/2 connection: sent GOAWAY once (on its event loop), with no stream in flight, once the shutdown has begun. */
    private static final class Http2Tracked {
        final HttpConnection connection;
        final Channel channel;
        final AtomicInteger inFlight = new AtomicInteger();
        /** The shutdown has begun: GOAWAY as soon as nothing is in flight. */
        volatile boolean goAwayDue;
        /** When GOAWAY was sent (0: not yet). */
        volatile long goneAwayNanos;

        Http2Tracked(HttpConnection connection, Channel channel) {
            this.connection = connection;
            this.channel = channel;
        }
    }

    private final Duration delay;
    private final Duration grace;
    private final Set<Tracked> connections = ConcurrentHashMap.newKeySet();
    private final Set<Http2Tracked> http2Connections = ConcurrentHashMap.newKeySet();
    /** HTTP/2 requests in flight on connections Strata does not track (not a Vert.x connection: none in practice). */
    private final AtomicInteger untrackedHttp2InFlight = new AtomicInteger();
    private final Counter refused;
    private final Buffer refusal;
    private volatile Phase phase = Phase.SERVING;
    /** When a request was last served (not refused) during the shutdown: its client may come back at once. */
    private volatile long lastServedNanos = System.nanoTime();

    public ShutdownDrain(ApiConfig config, MeterRegistry registry) {
        this.delay = config.shutdownDelay();
        this.grace = config.shutdownGrace();
        this.refused = Counter.builder("strata.http.shutdown.refused")
                .description("Requests answered 503 shutting_down because they arrived while the process was draining")
                .register(registry);
        this.refusal = Buffer.buffer(OpenAiErrors.body(shuttingDown()));
    }

    /** The answer to a request that arrives while draining: try another instance, in a second. */
    static StrataException shuttingDown() {
        return new StrataException(503, "server_error", "shutting_down", null,
                "This Strata instance is shutting down; retry the request (another instance will answer).",
                Map.of("Retry-After", "1", "x-should-retry", "true"));
    }

    void install(@Observes Router router) {
        router.route().order(ORDER).handler(this::handle);
    }

    private void handle(RoutingContext context) {
        HttpServerRequest request = context.request();
        boolean http1 = request.version() != HttpVersion.HTTP_2;
        if (http1 && request.connection() instanceof ConnectionBase base) {
            Channel channel = base.channel();
            Tracked tracked = channel.attr(TRACKED).get();
            if (tracked == null) {
                Tracked added = new Tracked(channel);
                channel.attr(TRACKED).set(added);
                connections.add(added);
                channel.closeFuture().addListener(closed -> connections.remove(added));
                tracked = added;
            }
            tracked.latest = context;
        } else if (!http1) {
            Http2Tracked tracked = http2(request.connection());
            (tracked != null ? tracked.inFlight : untrackedHttp2InFlight).incrementAndGet();
            context.addEndHandler(ended -> { // on the thread that ended the response
                if (tracked == null) {
                    untrackedHttp2InFlight.decrementAndGet();
                }
                if (phase != Phase.SERVING && !refuses(context)) {
                    lastServedNanos = System.nanoTime(); // its client, sent GOAWAY, may come straight back on a new connection
                }
                if (tracked != null && tracked.inFlight.decrementAndGet() == 0 && tracked.goAwayDue) {
                    goAway(tracked);
                }
            });
            if (tracked != null && phase != Phase.SERVING) {
                tracked.goAwayDue = true; // sent when this request (and any other in flight) is answered
            }
        }
        Phase now = phase;
        if (now == Phase.SERVING) {
            context.next();
            return;
        }
        if (http1) {
            closeAfterAnswer(context);
        }
        if (now == Phase.DRAINING) {
            context.put(REFUSE, Boolean.TRUE);
            if (!ProxyRoutes.handles(request.path())) {
                refuseHere(context);
                return;
            }
        }
        context.next();
    }

    /** The HTTP/2 connection's record, made at its first request (null if it is not a connection Strata knows). */
    private Http2Tracked http2(HttpConnection connection) {
        if (!(connection instanceof ConnectionBase base)) {
            return null;
        }
        Channel channel = base.channel();
        Http2Tracked tracked = channel.attr(TRACKED_HTTP2).get();
        if (tracked == null) {
            Http2Tracked added = new Http2Tracked(connection, channel);
            channel.attr(TRACKED_HTTP2).set(added);
            http2Connections.add(added);
            channel.closeFuture().addListener(closed -> http2Connections.remove(added));
            tracked = added;
        }
        return tracked;
    }

    /**
     * GOAWAY(NO_ERROR, the last stream the server has seen), on the connection's event loop, if nothing is in
     * flight there (a stream that arrived meanwhile sends it when it ends). The connection stays open: its
     * client closes it, or Quarkus does when the drain is done. Vert.x' {@code shutdown(timeout)} would close
     * it too, once its streams are done (Netty's graceful close), right after the GOAWAY here.
     */
    private void goAway(Http2Tracked tracked) {
        if (!tracked.channel.eventLoop().inEventLoop()) {
            tracked.channel.eventLoop().execute(() -> goAway(tracked));
            return;
        }
        if (tracked.goneAwayNanos != 0 || tracked.inFlight.get() > 0 || !tracked.channel.isActive()) {
            return;
        }
        tracked.connection.goAway(0);
        tracked.goneAwayNanos = System.nanoTime();
    }

    /**
     * True for a request that arrived while draining: the proxy routes answer it {@link #shuttingDown()}
     * (recorded, with its X-Request-Id) once its body is read, and count it with {@link #refused()}.
     */
    static boolean refuses(RoutingContext context) {
        return context.get(REFUSE) != null;
    }

    /** Counts one request refused because the process is draining. */
    void refused() {
        refused.increment();
    }

    /** A request outside the proxied API (history, admin, UI): refused here, after its body is read and dropped. */
    private void refuseHere(RoutingContext context) {
        refused();
        HttpServerRequest request = context.request();
        Runnable answer = () -> {
            if (!context.response().ended() && !context.response().closed()) {
                context.response().setStatusCode(503).putHeader("Content-Type", "application/json").putHeader("Retry-After", "1")
                        .putHeader("x-should-retry", "true").end(refusal.copy());
            }
        };
        if (request.isEnded()) {
            answer.run();
            return;
        }
        request.handler(dropped -> {
        });
        request.exceptionHandler(failed -> context.response().close());
        request.endHandler(ended -> answer.run());
        request.resume();
    }

    /**
     * The answer carries {@code Connection: close} and the connection is closed once it is written. A client
     * served so (not refused) may well come straight back on a new connection: the drain waits for it.
     */
    private void closeAfterAnswer(RoutingContext context) {
        context.addHeadersEndHandler(headers -> context.response().headers().set("Connection", "close"));
        context.addEndHandler(ended -> {
            if (!refuses(context)) {
                lastServedNanos = System.nanoTime();
            }
            context.request().connection().close();
        });
    }

    /**
     * Quarkus' pre-shutdown notice, on the shutdown thread (blocking it is the point: Quarkus stops the
     * HTTP server only after this returns). Readiness has already turned DOWN ({@code StrataReadinessCheck}
     * observes the notice first).
     */
    void onShutdown(@Observes ShutdownDelayInitiatedEvent event) {
        long start = System.nanoTime();
        phase = Phase.CLOSING;
        closeAfterAnswersInFlight();
        for (Http2Tracked tracked : http2Connections) {
            tracked.goAwayDue = true;
            if (tracked.inFlight.get() == 0) { // else its last stream in flight sends it when it ends
                goAway(tracked);
            }
        }
        if (!delay.isZero()) {
            LOG.infof("Shutdown: readiness DOWN, serving for %d ms more (strata.api.shutdown-delay), every answer closing its connection",
                    delay.toMillis());
            sleepMillis(delay.toMillis());
        }
        phase = Phase.DRAINING;
        long drainStart = System.nanoTime();
        double before = refused.count();
        int inFlight = awaitQuiet(drainStart + grace.toNanos());
        long millis = (System.nanoTime() - drainStart) / 1_000_000;
        long refusedNow = (long) (refused.count() - before);
        if (inFlight > 0) {
            LOG.errorf("Shutdown grace (%d ms, strata.api.shutdown-grace) ran out with %d requests still in flight: they are cut",
                    grace.toMillis(), inFlight);
        }
        LOG.infof(
                "Shutdown drain done in %d ms (%d ms since the shutdown began): %d requests refused with 503 shutting_down, %d idle connections left",
                millis, (System.nanoTime() - start) / 1_000_000, refusedNow, connections.size() + http2Connections.size());
    }

    /** Requests being answered when the shutdown starts: their answer closes its connection (on the connection's event loop). */
    private void closeAfterAnswersInFlight() {
        for (Tracked tracked : connections) {
            tracked.channel.eventLoop().execute(() -> {
                RoutingContext latest = tracked.latest;
                if (latest != null && !latest.response().headWritten() && !latest.response().ended() && !latest.response().closed()) {
                    closeAfterAnswer(latest);
                }
            });
        }
    }

    /**
     * Waits until nothing is in flight, every connection still open has carried no request for
     * {@link #QUIET} (a connection that got a closing answer is gone by then) and no request was served
     * in that time either (its client, told to close, may be reconnecting to send the next one), or the
     * deadline; returns how many requests were still in flight then. An HTTP/2 connection still open must
     * have been sent its GOAWAY {@link #QUIET} ago. A client that keeps coming back on new connections,
     * each answered 503 and closed, does not hold the process up.
     */
    private int awaitQuiet(long deadline) {
        long quiet = QUIET.toNanos();
        while (true) {
            long now = System.nanoTime();
            int busy = untrackedHttp2InFlight.get();
            boolean settled = true;
            for (Tracked tracked : connections) {
                RoutingContext latest = tracked.latest;
                boolean inFlight = latest != null && !latest.response().ended() && !latest.response().closed();
                if (inFlight) {
                    busy++;
                }
                if (inFlight || latest != tracked.seen) {
                    tracked.seen = latest;
                    tracked.activeAt = now;
                }
                if (now - tracked.activeAt < quiet) {
                    settled = false;
                }
            }
            for (Http2Tracked tracked : http2Connections) {
                busy += tracked.inFlight.get();
                long goneAway = tracked.goneAwayNanos;
                if (goneAway == 0 || now - goneAway < quiet) {
                    settled = false;
                }
            }
            if (now - lastServedNanos < quiet) {
                settled = false;
            }
            if (busy == 0 && settled || now >= deadline || !sleepMillis(POLL_MILLIS)) {
                return busy;
            }
        }
    }

    /** False if the shutdown thread was interrupted: it then goes on at once. */
    private static boolean sleepMillis(long millis) {
        try {
            Thread.sleep(millis); // the shutdown thread, not an event loop
            return true;
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
