package io.strata.api;

import java.util.Map;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.quarkus.arc.Unremovable;
import io.quarkus.vertx.VertxOptionsCustomizer;
import io.strata.core.OpenAiErrors;
import io.strata.core.StrataException;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.core.spi.VertxTracerFactory;
import io.vertx.core.spi.tracing.SpanKind;
import io.vertx.core.spi.tracing.TagExtractor;
import io.vertx.core.spi.tracing.VertxTracer;
import io.vertx.core.tracing.TracingOptions;
import io.vertx.core.tracing.TracingPolicy;

/**
 * Requests the HTTP decoder could not read (a request line or headers beyond its limits, a
 * malformed request line or header) are answered in OpenAI's error shape instead of Vert.x's
 * empty 400/414/431. Vert.x picks its invalid-request handler per connection, after telling the
 * tracer that a request began, and neither Quarkus nor Vert.x offers another hook that runs that
 * early, even on a connection's first request; so a tracer that traces nothing swaps the
 * connection's handler for this one when, and only when, the request it is told about failed to
 * decode. Every other request costs one check of its decoder result.
 */
@Singleton
@Unremovable
public class DecoderFailureAnswers implements VertxOptionsCustomizer {

    private static final Logger LOG = Logger.getLogger(DecoderFailureAnswers.class);

    private static final Buffer URI_TOO_LONG = error(414, "uri_too_long", "The request line is longer than the server reads.");
    private static final Buffer HEADERS_TOO_LARGE = error(431, "request_header_fields_too_large",
            "The request headers are larger than the server reads.");
    private static final Buffer MALFORMED = error(400, "invalid_request",
            "The request could not be read as HTTP/1.1 (malformed request line or header).");

    private static final Handler<HttpServerRequest> ANSWER = DecoderFailureAnswers::answer;

    @Override
    public void accept(VertxOptions options) {
        if (options.getTracingOptions() != null && options.getTracingOptions().getFactory() != null) {
            // A real tracer is configured (none is, in Strata's build): leave it, the bare answers stay.
            LOG.debug("A Vert.x tracer is configured: decoder failures keep Vert.x's own answers");
            return;
        }
        options.setTracingOptions(new TracingOptions().setFactory(new Factory()));
    }

    /** The answer to a request whose line or headers did not decode; the connection closes after it. */
    static void answer(HttpServerRequest request) {
        DecoderResult result = request.decoderResult();
        Throwable cause = result == null ? null : result.cause();
        Buffer body;
        int status;
        if (cause instanceof TooLongHttpLineException) {
            status = 414;
            body = URI_TOO_LONG;
        } else if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
            status = 431;
            body = HEADERS_TOO_LARGE;
        } else {
            status = 400;
            body = MALFORMED;
        }
        LOG.debugf("HTTP request not decodable (%s): %d", cause, status);
        request.response().setStatusCode(status).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                .end(body.copy());
    }

    private static Buffer error(int status, String code, String message) {
        return Buffer.buffer(OpenAiErrors.body(new StrataException(status, "invalid_request_error", code, null, message, Map.of())));
    }

    private static final class Factory implements VertxTracerFactory {
        @Override
        public VertxTracer<?, ?> tracer(TracingOptions options) {
            return new DecoderFailureTracer();
        }
    }

    /** Traces nothing: it only sees each request begin, before Vert.x picks the handler for it. */
    private static final class DecoderFailureTracer implements VertxTracer<Object, Object> {
        @Override
        public <R> Object receiveRequest(Context context, SpanKind kind, TracingPolicy policy, R request, String operation,
                Iterable<Map.Entry<String, String>> headers, TagExtractor<R> tagExtractor) {
            if (request instanceof HttpServerRequest http && http.decoderResult() != null && http.decoderResult().isFailure()
                    && http.connection() instanceof HttpServerConnection connection) {
                connection.invalidRequestHandler(ANSWER);
            }
            return null;
        }
    }
}
