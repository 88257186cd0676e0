package io.strata.api;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
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
 * Read deadlines of client connections, like nginx's: a connection that sends nothing before its
 * first request is closed after {@code strata.api.header-timeout} (the HTTP server's idle
 * timeout); a body must arrive within {@code strata.api.body-timeout} of its headers, or the
 * request answers 408 {@code request_timeout}; after an answer, the next request's headers must
 * arrive within {@code strata.api.keep-alive-timeout}, or the connection is closed (an idle
 * keep-alive connection, or headers trickled a byte at a time). A request being handled is bounded
 * by its own deadlines (the provider's timeout, the layers'), never by the connection's idleness:
 * the server's idle handler is taken off the connection at its first request, so a long wait for
 * a provider is not cut. An HTTP/2 connection carries several requests at once: it is idle only with
 * none in flight, and each request's body has its own deadline (a late body answers 408 and resets its
 * stream, the connection's other streams go on).
 */
@Singleton
public class ConnectionTimeouts {

    private static final Logger LOG = Logger.getLogger(ConnectionTimeouts.class);

    /** First of all routes: before the body limit. */
    private static final int ORDER = Integer.MIN_VALUE + 10;
    /** The name Vert.x gives the idle-timeout handler in a connection's pipeline. */
    private static final String IDLE_HANDLER = "idle";
    private static final AttributeKey<State> STATE = AttributeKey.valueOf("strata.connection.timeouts");

    private final long bodyNanos;
    private final long checkNanos;
    private final int keepAliveChecks;
    private final Buffer timedOut;
    private final Map<String, Counter> closed = new java.util.concurrent.ConcurrentHashMap<>();
    private final MeterRegistry registry;

    public ConnectionTimeouts(ApiConfig config, MeterRegistry registry) {
        this.bodyNanos = config.bodyTimeout().toNanos();
        long keepAliveNanos = config.keepAliveTimeout().toNanos();
        this.checkNanos = Math.max(1_000_000, Math.min(bodyNanos, keepAliveNanos) / 4);
        this.keepAliveChecks = (int) Math.max(1, (keepAliveNanos + checkNanos - 1) / checkNanos);
        this.registry = registry;
        this.timedOut = Buffer.buffer(OpenAiErrors.body(new StrataException(408, "invalid_request_error", "request_timeout", null,
                "The request body did not arrive within " + config.bodyTimeout().toSeconds() + " s (strata.api.body-timeout).",
                Map.of())));
        counter("body");
        counter("keep_alive");
    }

    /**
     * Per connection, touched on its event loop only. Nothing is scheduled or registered per
     * request (a hit must stay cheap): one periodic check per connection, every quarter of the
     * shorter deadline, looks at the connection's latest request. An HTTP/2 connection also keeps its
     * requests in flight (a map entry and an end handler per request, HTTP/2 only), each with the time
     * its body started (0: no body to wait for).
     */
    private static final class State {
        long requests;
        long requestsSeen;
        RoutingContext latest;
        long bodyStartNanos;
        int idleChecks;
        boolean answeredAtLastCheck;
        Map<RoutingContext, Long> streams;
    }

    void install(@Observes Router router) {
        router.route().order(ORDER).handler(this::handle);
    }

    private void handle(RoutingContext context) {
        HttpServerRequest request = context.request();
        HttpConnection connection = request.connection();
        Channel channel = connection instanceof ConnectionBase base ? base.channel() : null;
        if (channel == null) { // not an HTTP/1 connection Strata knows: the server's idle timeout alone applies
            context.next();
            return;
        }
        State state = channel.attr(STATE).get();
        if (state == null) {
            state = new State();
            channel.attr(STATE).set(state);
            if (channel.pipeline().get(IDLE_HANDLER) != null) {
                channel.pipeline().remove(IDLE_HANDLER);
            }
            State owned = state;
            ScheduledFuture<?> checks = channel.eventLoop().scheduleAtFixedRate(() -> check(channel, owned), checkNanos, checkNanos,
                    TimeUnit.NANOSECONDS);
            channel.closeFuture().addListener(closed -> checks.cancel(false));
        }
        state.requests++;
        state.latest = context;
        if (request.version() == HttpVersion.HTTP_2) {
            trackStream(context, state, channel);
        } else {
            boolean bodyDeclared = request.headers().contains("Transfer-Encoding")
                    || (request.headers().contains("Content-Length") && !"0".equals(request.getHeader("Content-Length")));
            state.bodyStartNanos = bodyDeclared && !request.isEnded() ? System.nanoTime() : 0;
        }
        context.next();
    }

    /**
     * An HTTP/2 request: in flight until its end handler runs (answered, reset or its connection closed).
     * HTTP/2 declares no body length a request must have: a body is waited for while the request has not
     * ended (its END_STREAM not yet read).
     */
    private static void trackStream(RoutingContext context, State state, Channel channel) {
        if (state.streams == null) { // the channel's first HTTP/2 request (after an h2c upgrade, maybe not its first)
            state.streams = new HashMap<>();
        }
        Map<RoutingContext, Long> streams = state.streams;
        streams.put(context, context.request().isEnded() ? 0L : System.nanoTime());
        state.bodyStartNanos = 0; // the latest request's body is watched in streams
        context.addEndHandler(ended -> { // on the thread that ended the response: a blocking endpoint's is a worker
            if (channel.eventLoop().inEventLoop()) {
                streams.remove(context);
            } else {
                channel.eventLoop().execute(() -> streams.remove(context));
            }
        });
    }

    /**
     * A body still not complete after the body timeout: 408. The latest answer ended and no request
     * since, over {@code keepAliveChecks} checks (at least the keep-alive timeout, at most a check
     * more): closed.
     */
    private void check(Channel channel, State state) {
        RoutingContext latest = state.latest;
        if (!channel.isActive() || latest == null) {
            return;
        }
        if (state.streams != null && !state.streams.isEmpty()) {
            checkStreams(state);
            return;
        }
        boolean answered = latest.response().ended() || latest.response().closed();
        if (!answered || state.requests != state.requestsSeen || !state.answeredAtLastCheck) {
            state.requestsSeen = state.requests;
            state.answeredAtLastCheck = answered;
            state.idleChecks = 0; // idle (if at all) since some time in the last interval: counted from here
            if (!answered && state.bodyStartNanos != 0 && !latest.request().isEnded()
                    && System.nanoTime() - state.bodyStartNanos >= bodyNanos) {
                state.bodyStartNanos = 0;
                bodyTimedOut(latest, channel);
            }
            return;
        }
        if (++state.idleChecks >= keepAliveChecks) {
            counter("keep_alive").increment();
            channel.close();
        }
    }

    /**
     * An HTTP/2 connection with requests in flight is not idle (closing it would send GOAWAY and cut the
     * streams still open 30 s later); a request whose body is late answers 408 and its stream is reset.
     */
    private void checkStreams(State state) {
        state.requestsSeen = state.requests;
        state.answeredAtLastCheck = false;
        state.idleChecks = 0;
        long now = System.nanoTime();
        List<RoutingContext> late = null;
        for (Map.Entry<RoutingContext, Long> stream : state.streams.entrySet()) {
            long start = stream.getValue();
            if (start != 0 && now - start >= bodyNanos) {
                stream.setValue(0L);
                if (!stream.getKey().request().isEnded()) {
                    if (late == null) {
                        late = new ArrayList<>(1);
                    }
                    late.add(stream.getKey());
                }
            }
        }
        if (late != null) {
            late.forEach(this::streamBodyTimedOut); // not while iterating: an answer ends its stream, which leaves the map
        }
    }

    /** 408 on the stream (no Connection header: HTTP/2 forbids it), then RST_STREAM(NO_ERROR) so the client stops sending. */
    private void streamBodyTimedOut(RoutingContext context) {
        if (context.request().isEnded()) {
            return;
        }
        counter("body").increment();
        LOG.debugf("HTTP/2 request body not complete within %d ms: 408 and its stream reset", bodyNanos / 1_000_000);
        if (!context.response().headWritten()) {
            context.response().setStatusCode(408).putHeader("Content-Type", "application/json").end(timedOut.copy())
                    .onComplete(done -> context.response().reset(0));
        } else {
            context.response().reset(0);
        }
    }

    private void bodyTimedOut(RoutingContext context, Channel channel) {
        if (context.request().isEnded()) {
            return;
        }
        counter("body").increment();
        LOG.debugf("Request body not complete within %d ms: 408 and closed", bodyNanos / 1_000_000);
        if (!context.response().headWritten()) {
            context.response().setStatusCode(408).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                    .end(timedOut.copy()).onComplete(done -> channel.close());
        } else {
            channel.close();
        }
    }

    /** strata_http_connections_timed_out_total{timeout}: connections closed by a read deadline. */
    private Counter counter(String timeout) {
        return closed.computeIfAbsent(timeout, t -> Counter.builder("strata.http.connections.timed.out")
                .description("Client connections closed because a body or the next request did not arrive in time")
                .tag("timeout", t).register(registry));
    }
}
