package io.strata.api;

import java.util.Map;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.strata.config.ApiConfig;
import io.strata.core.OpenAiErrors;
import io.strata.core.StrataException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Limits of the request line and headers, answered in OpenAI's shape with the configured limit in
 * the message. The HTTP decoder's own limits ({@code quarkus.http.limits.max-initial-line-length}
 * and {@code max-header-size}) sit above Strata's ({@code strata.api.max-uri-length},
 * {@code strata.api.max-header-size}), which are checked here; a request beyond the decoder's is
 * answered by {@link DecoderFailureAnswers}.
 */
@Singleton
public class RequestHeadLimits {

    /** After the connection deadlines, before the body limit. */
    private static final int ORDER = Integer.MIN_VALUE + 20;

    private final int maxUriLength;
    private final long maxHeaderBytes;
    private final Buffer uriTooLong;
    private final Buffer headersTooLarge;

    public RequestHeadLimits(ApiConfig config) {
        this.maxUriLength = config.maxUriLength();
        this.maxHeaderBytes = config.maxHeaderSize().asLongValue();
        this.uriTooLong = Buffer.buffer(OpenAiErrors.body(new StrataException(414, "invalid_request_error", "uri_too_long", null,
                "The request URI is longer than " + maxUriLength + " characters.", Map.of())));
        this.headersTooLarge = Buffer.buffer(OpenAiErrors.body(new StrataException(431, "invalid_request_error",
                "request_header_fields_too_large", null, "The request headers are larger than " + maxHeaderBytes + " bytes.", Map.of())));
    }

    void install(@Observes Router router) {
        router.route().order(ORDER).handler(this::check);
    }

    private void check(RoutingContext context) {
        if (context.request().uri().length() > maxUriLength) {
            refuse(context, 414, uriTooLong);
            return;
        }
        long bytes = 0;
        for (Map.Entry<String, String> header : context.request().headers()) {
            bytes += header.getKey().length() + header.getValue().length() + 4; // ": " and CRLF, as on the wire
        }
        if (bytes > maxHeaderBytes) {
            refuse(context, 431, headersTooLarge);
            return;
        }
        context.next();
    }

    /** HTTP/1: the connection closes after the answer. HTTP/2 has no Connection header: only the request's stream ends. */
    private static void refuse(RoutingContext context, int status, Buffer body) {
        boolean http2 = context.request().version() == HttpVersion.HTTP_2;
        context.response().setStatusCode(status).putHeader("Content-Type", "application/json");
        if (!http2) {
            context.response().putHeader("Connection", "close");
        }
        context.response().end(body.copy());
        if (http2 && !context.request().isEnded()) {
            context.response().reset(0); // NO_ERROR: answered, the rest of the body is not wanted
        }
    }
}
