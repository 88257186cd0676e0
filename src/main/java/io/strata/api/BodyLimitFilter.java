package io.strata.api;

import io.strata.core.OpenAiErrors;
import io.strata.core.StrataException;
import jakarta.inject.Singleton;
import jakarta.enterprise.event.Observes;

import io.strata.config.ApiConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Refuses a body whose Content-Length exceeds the limit before a byte of it is read, with an
 * OpenAI-shaped 413. Bodies without a length are cut by the HTTP layer's own limit
 * ({@code quarkus.http.limits.max-body-size}, set to the same value) as soon as they cross it.
 */
@Singleton
public class BodyLimitFilter {

    /** Before Quarkus' own upload-limit route, which would answer a bare 413. */
    private static final int ORDER = Integer.MIN_VALUE + 1000;

    /** Longest time spent reading and dropping the rest of a refused body. */
    private static final long LINGER_MILLIS = 10_000;

    private final long limit;
    private final Buffer tooLarge;
    private final BodyHandler chunkedBodies;

    public BodyLimitFilter(ApiConfig config) {
        this.limit = config.maxBodySize().asLongValue();
        this.tooLarge = Buffer.buffer(OpenAiErrors.body(StrataException.bodyTooLarge(limit)));
        this.chunkedBodies = BodyHandler.create(false).setBodyLimit(limit).setHandleFileUploads(false);
    }

    void install(@Observes Router router) {
        router.route().order(ORDER).handler(context -> {
            String length = context.request().getHeader("Content-Length");
            if (length != null && declaredLength(length) > limit) {
                refuse(context);
                return;
            }
            if (length == null && context.request().headers().contains("Transfer-Encoding")) {
                // No declared length: read the body here, failing with 413 the moment it crosses the limit.
                chunkedBodies.handle(context);
                return;
            }
            context.next();
        });
        // A body without a length that crosses the limit fails the route with 413: answer it in OpenAI's shape.
        router.route().order(ORDER).failureHandler(context -> {
            boolean tooLarge = context.statusCode() == 413
                    || context.failure() instanceof io.netty.handler.codec.http.multipart.HttpPostRequestDecoder.TooLongFormFieldException;
            if (tooLarge && !context.response().headWritten()) {
                refuse(context);
            } else {
                context.next();
            }
        });
    }

    /**
     * Answers 413 at once. A client that is still sending would see a reset instead of the answer if
     * the connection were closed now, so the rest of the body is read and dropped (bounded in time,
     * like nginx's lingering close); a client that asked to continue first has sent nothing more.
     */
    private void refuse(RoutingContext context) {
        HttpServerRequest request = context.request();
        boolean clientWaitsToContinue = "100-continue".equalsIgnoreCase(request.getHeader("Expect"));
        context.response()
                .setStatusCode(413)
                .putHeader("Content-Type", "application/json")
                .putHeader("Connection", "close")
                .end(tooLarge.copy());
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

    private static long declaredLength(String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
