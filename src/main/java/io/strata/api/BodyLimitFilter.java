package io.strata.api;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.strata.config.ApiConfig;
import io.strata.core.OpenAiErrors;
import io.strata.core.StrataException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Refuses a body whose Content-Length exceeds the limit before a byte of it is read, with an
 * OpenAI-shaped 413. Bodies without a length are cut by the HTTP layer's own limit
 * ({@code quarkus.http.limits.max-body-size}, set to the same value) as soon as they cross it.
 * A body is read only if its bytes fit in what bodies in flight may hold together
 * ({@link BodiesInFlight}); otherwise the request answers 503 {@code overloaded} with Retry-After.
 */
@Singleton
public class BodyLimitFilter {

    /** Before Quarkus' own upload-limit route, which would answer a bare 413. */
    private static final int ORDER = Integer.MIN_VALUE + 1000;

    /** Longest time spent reading and dropping the rest of a refused body. */
    private static final long LINGER_MILLIS = 10_000;

    /** Routing-context key of the bytes this request holds in {@link BodiesInFlight}. */
    static final String HELD = "strata.body.held";

    /** Gives back what the request holds; once (the key is removed). */
    static void release(RoutingContext context, BodiesInFlight bodies) {
        Long held = context.remove(HELD);
        if (held != null) {
            bodies.release(held);
        }
    }

    /** Routing-context key set while a body without a declared length is read by the chunked body reader. */
    private static final String CHUNKED = "strata.body.chunked";

    /** Seconds a client refused for overload is asked to wait: bodies in flight drain within a request's time. */
    static final String OVERLOADED_RETRY_AFTER = "1";

    private final long limit;
    private final Buffer tooLarge;
    private final Buffer overloaded;
    private final Buffer malformedBody;
    private final BodyHandler chunkedBodies;
    private final BodiesInFlight bodies;

    public BodyLimitFilter(ApiConfig config, BodiesInFlight bodies) {
        this.limit = config.maxBodySize().asLongValue();
        this.bodies = bodies;
        this.tooLarge = Buffer.buffer(OpenAiErrors.body(StrataException.bodyTooLarge(limit)));
        this.overloaded = Buffer.buffer(OpenAiErrors.body(new StrataException(503, "server_error", "overloaded", null,
                "Strata is holding as many request bodies as it may (strata.api.max-bodies-in-flight); retry shortly.",
                java.util.Map.of())));
        this.malformedBody = Buffer.buffer(OpenAiErrors.body(StrataException.invalidRequest("invalid_request", null,
                "The chunked request body could not be read (malformed chunk size or framing).")));
        this.chunkedBodies = BodyHandler.create(false).setBodyLimit(limit).setHandleFileUploads(false);
    }

    void install(@Observes Router router) {
        router.route().order(ORDER).handler(context -> {
            String length = context.request().getHeader("Content-Length");
            long declared = length == null ? -1 : declaredLength(length);
            if (declared > limit) {
                refuse(context, 413, tooLarge, null);
                return;
            }
            boolean unknownLength = length == null && context.request().headers().contains("Transfer-Encoding");
            // Proxied requests hold their body's bytes until their answer is written (ProxyRoutes gives them
            // back, with no end handler on the hot path); a body without a length counts as the limit.
            long holds = declared > 0 ? declared : unknownLength ? limit : 0;
            if (holds > 0 && context.request().path().startsWith("/v1/") && !context.request().path().startsWith("/v1/history")) {
                if (!bodies.tryHold(holds)) {
                    refuse(context, 503, overloaded, OVERLOADED_RETRY_AFTER);
                    return;
                }
                context.put(HELD, holds);
            }
            if (unknownLength) {
                // No declared length: read the body here, failing with 413 the moment it crosses the limit.
                context.put(CHUNKED, Boolean.TRUE);
                chunkedBodies.handle(context);
                return;
            }
            context.next();
        });
        // A body without a length that crosses the limit fails the route with 413: answer it in OpenAI's shape.
        router.route().order(ORDER).failureHandler(context -> {
            release(context, bodies); // a failed request answers nothing through ProxyRoutes
            boolean tooLarge = context.statusCode() == 413
                    || context.failure() instanceof io.netty.handler.codec.http.multipart.HttpPostRequestDecoder.TooLongFormFieldException;
            if (tooLarge && !context.response().headWritten()) {
                refuse(context, 413, this.tooLarge, null);
            } else if (malformedChunks(context)) {
                // The decoder closes the connection right after this handler returns, dropping what is not
                // flushed yet (Vert.x flushes at the end of a read): answer now and flush.
                context.response().setStatusCode(400).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                        .end(malformedBody.copy());
                if (context.request().connection() instanceof io.vertx.core.net.impl.ConnectionBase connection) {
                    connection.flush();
                }
            } else {
                context.next();
            }
        });
    }

    /**
     * Answers the refusal at once. A client that is still sending would see a reset instead of the answer if
     * the connection were closed now, so the rest of the body is read and dropped (bounded in time,
     * like nginx's lingering close); a client that asked to continue first has sent nothing more. On HTTP/2
     * only the request's own stream ends (reset once answered, so the client stops sending): the other
     * streams on the connection go on, and HTTP/2 has no {@code Connection} header.
     */
    private void refuse(RoutingContext context, int status, Buffer body, String retryAfter) {
        HttpServerRequest request = context.request();
        boolean http2 = request.version() == HttpVersion.HTTP_2;
        boolean clientWaitsToContinue = "100-continue".equalsIgnoreCase(request.getHeader("Expect"));
        context.response().setStatusCode(status).putHeader("Content-Type", "application/json");
        if (!http2) {
            context.response().putHeader("Connection", "close");
        }
        if (retryAfter != null) {
            context.response().putHeader("Retry-After", retryAfter);
        }
        context.response().end(body.copy());
        if (http2) {
            if (!request.isEnded()) {
                context.response().reset(0); // NO_ERROR: the answer is complete, the rest of the body is not wanted
            }
            return;
        }
        if (clientWaitsToContinue || request.isEnded()) {
            request.connection().close();
            return;
        }
        request.handler(dropped -> {
        });
        request.endHandler(ended -> request.connection().close());
        long timer = context.vertx().setTimer(LINGER_MILLIS, id -> request.connection().close());
        request.connection().closeHandler(closed -> context.vertx().cancelTimer(timer));
    }

    /**
     * A chunked body the HTTP decoder could not read (a chunk size that is not hex or overflows, a chunk
     * line too long): the reader fails the route with the decoder's own exception.
     */
    private static boolean malformedChunks(RoutingContext context) {
        Throwable failure = context.failure();
        return Boolean.TRUE.equals(context.get(CHUNKED)) && !context.response().headWritten() && failure != null
                && !(failure instanceof io.vertx.core.http.HttpClosedException)
                && (failure instanceof NumberFormatException || failure instanceof io.netty.handler.codec.DecoderException
                        || failure instanceof io.netty.handler.codec.TooLongFrameException);
    }

    private static long declaredLength(String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
