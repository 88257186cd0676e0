package io.strata.api;

import java.util.function.Consumer;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.smallrye.mutiny.Uni;
import io.strata.cache.CacheMetrics;
import io.strata.cache.CacheStatus;
import io.strata.core.OpenAiErrors;
import io.strata.core.StrataException;
import io.strata.proxy.Endpoint;
import io.strata.proxy.ExchangeRecorder;
import io.strata.proxy.ProxyPipeline;
import io.strata.proxy.ProxyRequest;
import io.strata.proxy.ProxyResult;
import io.strata.proxy.Served;
import io.strata.proxy.SessionContinuation;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RequestBody;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The OpenAI-compatible surface as plain Vert.x routes on the HTTP server: the cheapest path
 * Quarkus offers a proxy (no resource method dispatch, no per-request stream machinery). Whole
 * answers go out in one buffer with their Content-Length; streams are relayed chunk by chunk.
 * History and admin stay RESTEasy resources; /v1/history is theirs.
 */
@Singleton
public class ProxyRoutes {

    /** After the body-limit filter, before the RESTEasy Reactive handler. */
    private static final int ORDER = -1000;

    private final ProxyPipeline pipeline;
    private final ProxyRequestReader reader;
    private final SessionContinuation continuation;
    private final ExchangeRecorder recorder;
    private final CacheMetrics metrics;
    private final BodiesInFlight bodies;
    private final ShutdownDrain drain;

    public ProxyRoutes(ProxyPipeline pipeline, ProxyRequestReader reader, SessionContinuation continuation, ExchangeRecorder recorder,
            CacheMetrics metrics, BodiesInFlight bodies, ShutdownDrain drain) {
        this.bodies = bodies;
        this.drain = drain;
        this.pipeline = pipeline;
        this.reader = reader;
        this.continuation = continuation;
        this.recorder = recorder;
        this.metrics = metrics;
    }

    void install(@Observes Router router) {
        router.post("/v1/chat/completions").order(ORDER).handler(context -> cached(context, Endpoint.CHAT_COMPLETIONS));
        router.post("/v1/completions").order(ORDER).handler(context -> cached(context, Endpoint.COMPLETIONS));
        router.post("/v1/responses").order(ORDER).handler(context -> cached(context, Endpoint.RESPONSES));
        router.post("/v1/embeddings").order(ORDER).handler(context -> cached(context, Endpoint.EMBEDDINGS));
        router.get("/v1/models").order(ORDER).handler(context -> cached(context, Endpoint.MODELS));
        router.routeWithRegex("/v1/(?!history(?:/|$)).*").order(ORDER + 1).handler(this::passThrough);
    }

    /** True for the paths these routes answer: everything under /v1/ but the history API. */
    static boolean handles(String path) {
        return path != null && path.startsWith("/v1/") && !path.equals("/v1/history") && !path.startsWith("/v1/history/");
    }

    private void cached(RoutingContext context, Endpoint endpoint) {
        withBody(context, body -> {
            ProxyRequest request;
            try {
                request = reader.cached(endpoint, context.request(), body);
            } catch (ProxyRequestReader.Refused refused) {
                recorder.recordRefused(endpoint, refused.context(), body, null, refused.error());
                answerError(context, refused.error(), refused.context().requestId());
                return;
            } catch (StrataException unauthenticated) {
                answerError(context, unauthenticated, null);
                return;
            }
            if (ShutdownDrain.refuses(context)) {
                refuseWhileDraining(context, endpoint, request, body);
                return;
            }
            Uni<Answered> answered;
            if ("true".equalsIgnoreCase(context.request().getHeader("X-Session-Continue"))) {
                try {
                    continuation.check(request);
                } catch (StrataException refused) {
                    recorder.recordRefused(endpoint, request.context(), body, request.body(), refused);
                    answerError(context, refused, request.requestId());
                    return;
                }
                answered = continuation.continued(request)
                        .chain(ready -> pipeline.cached(ready).map(result -> new Answered(ready, result)));
            } else {
                answered = pipeline.cached(request).map(result -> new Answered(request, result));
            }
            answered.subscribe().with(
                    done -> answer(context, done.request(), done.result()),
                    failure -> {
                        StrataException error = asError(failure);
                        recorder.recordRefused(endpoint, request.context(), body, request.body(), error);
                        answerError(context, error, request.requestId());
                    });
        });
    }

    /** The request as it went upstream (stored turns placed first on continuation), and its answer. */
    private record Answered(ProxyRequest request, ProxyResult result) {
    }

    private void passThrough(RoutingContext context) {
        withBody(context, body -> {
            ProxyRequest request;
            try {
                request = reader.passThrough(context.request(), body);
            } catch (ProxyRequestReader.Refused refused) {
                recorder.recordRefused(Endpoint.OTHER, refused.context(), body, null, refused.error());
                answerError(context, refused.error(), refused.context().requestId());
                return;
            } catch (StrataException unauthenticated) {
                answerError(context, unauthenticated, null);
                return;
            }
            if (ShutdownDrain.refuses(context)) {
                refuseWhileDraining(context, Endpoint.OTHER, request, body);
                return;
            }
            pipeline.passThrough(request).subscribe().with(
                    result -> answer(context, request, result),
                    failure -> answerError(context, asError(failure), request.requestId()));
        });
    }

    /** Arrived while the process drains: 503 shutting_down at once, recorded like any answer. */
    private void refuseWhileDraining(RoutingContext context, Endpoint endpoint, ProxyRequest request, byte[] body) {
        drain.refused();
        StrataException shuttingDown = ShutdownDrain.shuttingDown();
        recorder.recordRefused(endpoint, request.context(), body, request.body(), shuttingDown);
        answerError(context, shuttingDown, request.requestId());
    }

    private void answer(RoutingContext context, ProxyRequest request, ProxyResult result) {
        metrics.request(request.endpoint().id(), result.cacheStatus());
        ResponseWriter.write(context, result, () -> {
            BodyLimitFilter.release(context, bodies);
            recorder.record(request, result);
        });
    }

    private void answerError(RoutingContext context, StrataException error, String requestId) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().set("Content-Type", "application/json");
        if (requestId != null) {
            headers.set("X-Request-Id", requestId);
        }
        error.headers().forEach(headers::set);
        byte[] body = OpenAiErrors.body(error);
        ResponseWriter.write(context, new ProxyResult(error.status(), headers, Buffer.buffer(body), null, CacheStatus.BYPASS,
                new Served.Body(body, null)), () -> BodyLimitFilter.release(context, bodies));
    }

    private static StrataException asError(Throwable failure) {
        return failure instanceof StrataException known ? known : new ErrorMappers().unexpectedAsStrata(failure);
    }

    /** Runs the request's handling; an unexpected failure gives the body's bytes back before it propagates. */
    private void accept(RoutingContext context, Consumer<byte[]> then, byte[] body) {
        try {
            then.accept(body);
        } catch (RuntimeException unexpected) {
            BodyLimitFilter.release(context, bodies);
            throw unexpected;
        }
    }

    /** The whole body: read here, or already read by the body-limit filter (bodies without a length). */
    private void withBody(RoutingContext context, Consumer<byte[]> then) {
        RequestBody read = context.body();
        if (read != null && read.available()) {
            Buffer buffer = read.buffer();
            accept(context, then, buffer == null ? new byte[0] : buffer.getBytes());
            return;
        }
        context.request().body().onComplete(result -> { // body() reads the paused request to its end
            if (result.succeeded()) {
                accept(context, then, result.result().getBytes());
            } else {
                BodyLimitFilter.release(context, bodies);
                if (!context.response().ended()) {
                    context.fail(result.cause());
                }
            }
        });
        context.request().resume(); // Quarkus hands routes a paused request
    }
}
