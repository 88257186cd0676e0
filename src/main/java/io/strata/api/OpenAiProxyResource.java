package io.strata.api;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.RestMulti;

import com.fasterxml.jackson.databind.JsonNode;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.cache.CacheStatus;
import io.strata.config.CacheConfig;
import io.strata.proxy.CacheDirectives;
import io.strata.proxy.Endpoint;
import io.strata.proxy.ProxyPipeline;
import io.strata.proxy.ProxyResult;
import io.strata.proxy.RequestBodyParser;
import io.strata.proxy.RequestContext;
import io.strata.history.Continuation;
import io.strata.config.HistoryConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.mutiny.core.buffer.Buffer;

/**
 * The OpenAI-compatible surface: cached endpoints, and every other /v1/* passed through. Every
 * answer goes out as a stream of chunks with its status and headers decided asynchronously, so a
 * streamed answer is relayed as it arrives and a whole one is sent in one piece.
 */
@Path("/v1")
@Consumes(MediaType.WILDCARD)
public class OpenAiProxyResource {

    private final ProxyPipeline pipeline;
    private final ClientAuthenticator authenticator;
    private final RequestBodyParser parser;
    private final CacheConfig cacheConfig;
    private final Continuation continuation;
    private final HistoryConfig historyConfig;
    private final ObjectMapper mapper;

    public OpenAiProxyResource(ProxyPipeline pipeline, ClientAuthenticator authenticator, RequestBodyParser parser,
            CacheConfig cacheConfig, Continuation continuation, HistoryConfig historyConfig, ObjectMapper mapper) {
        this.pipeline = pipeline;
        this.authenticator = authenticator;
        this.parser = parser;
        this.cacheConfig = cacheConfig;
        this.continuation = continuation;
        this.historyConfig = historyConfig;
        this.mapper = mapper;
    }

    @POST
    @Path("chat/completions")
    public Multi<Buffer> chatCompletions(byte[] body, @Context HttpServerRequest request) {
        return answer(() -> cached(Endpoint.CHAT_COMPLETIONS, body, request));
    }

    @POST
    @Path("completions")
    public Multi<Buffer> completions(byte[] body, @Context HttpServerRequest request) {
        return answer(() -> cached(Endpoint.COMPLETIONS, body, request));
    }

    @POST
    @Path("embeddings")
    public Multi<Buffer> embeddings(byte[] body, @Context HttpServerRequest request) {
        return answer(() -> cached(Endpoint.EMBEDDINGS, body, request));
    }

    @GET
    @Path("models")
    public Multi<Buffer> models(@Context HttpServerRequest request) {
        return answer(() -> cached(Endpoint.MODELS, null, request));
    }

    @GET
    @Path("{path:.+}")
    public Multi<Buffer> get(@Context HttpServerRequest request) {
        return answer(() -> passThrough(null, request));
    }

    @DELETE
    @Path("{path:.+}")
    public Multi<Buffer> delete(@Context HttpServerRequest request) {
        return answer(() -> passThrough(null, request));
    }

    @POST
    @Path("{path:.+}")
    public Multi<Buffer> post(byte[] body, @Context HttpServerRequest request) {
        return answer(() -> passThrough(body, request));
    }

    @PUT
    @Path("{path:.+}")
    public Multi<Buffer> put(byte[] body, @Context HttpServerRequest request) {
        return answer(() -> passThrough(body, request));
    }

    @PATCH
    @Path("{path:.+}")
    public Multi<Buffer> patch(byte[] body, @Context HttpServerRequest request) {
        return answer(() -> passThrough(body, request));
    }

    private Uni<ProxyResult> cached(Endpoint endpoint, byte[] body, HttpServerRequest request) {
        ClientIdentity client = authenticator.authenticate(request.getHeader("Authorization"));
        String sessionId = nonBlank(request.getHeader("X-Session-Id"));
        JsonNode json;
        CacheDirectives directives;
        try {
            json = endpoint == Endpoint.MODELS ? null : parser.parse(endpoint, body);
            directives = CacheDirectives.parse(request.getHeader("Cache-Control"), request.getHeader("X-Cache-TTL"),
                    request.getHeader("X-Cache-Namespace"), cacheConfig.ttl().max());
        } catch (StrataException invalid) {
            RequestContext context = RequestContext.start(client.scope(), sessionId, nonBlank(request.getHeader("X-User-Id")));
            pipeline.recordRefused(endpoint, context, null, invalid);
            return Uni.createFrom().item(errorResult(invalid, context.requestId()));
        }
        RequestContext context = RequestContext.start(client.scope(), sessionId, userOf(request, json));
        if (!"true".equalsIgnoreCase(request.getHeader("X-Session-Continue"))) {
            return pipeline.cached(endpoint, request.method(), client, request.headers(), body, json, directives, context);
        }
        StrataException refused = continuationRefusal(endpoint, sessionId);
        if (refused != null) {
            pipeline.recordRefused(endpoint, context, json, refused);
            return Uni.createFrom().item(errorResult(refused, context.requestId()));
        }
        return continuation.turns(sessionId, client.scope())
                .ifNoItem().after(historyConfig.continuation().timeout()).fail()
                .onFailure().transform(failure -> new StrataException(503, "server_error", "history_unavailable", null,
                        "The session's stored turns could not be read; retry, or send the whole conversation.", java.util.Map.of()))
                .chain(turns -> {
                    ObjectNode sent = ((ObjectNode) json).deepCopy();
                    ArrayNode messages = turns.deepCopy();
                    messages.addAll((ArrayNode) json.get("messages"));
                    sent.set("messages", messages);
                    byte[] sentBytes;
                    try {
                        sentBytes = mapper.writeValueAsBytes(sent);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    return pipeline.cached(endpoint, request.method(), client, request.headers(), sentBytes, sent, directives,
                            context.continued(json, messages));
                });
    }

    private StrataException continuationRefusal(Endpoint endpoint, String sessionId) {
        if (endpoint != Endpoint.CHAT_COMPLETIONS) {
            return StrataException.invalidRequest("invalid_request", "X-Session-Continue",
                    "X-Session-Continue applies to /v1/chat/completions only.");
        }
        if (sessionId == null) {
            return StrataException.invalidRequest("invalid_request", "X-Session-Id", "X-Session-Continue needs an X-Session-Id.");
        }
        if (historyConfig.mode() == HistoryConfig.Mode.OFF) {
            return StrataException.invalidRequest("invalid_request", "X-Session-Continue",
                    "Conversation history is off (strata.history.mode=off): there are no stored turns to continue from.");
        }
        return null;
    }

    /** X-User-Id, else the body's {@code user} field. */
    private static String userOf(HttpServerRequest request, JsonNode json) {
        String header = nonBlank(request.getHeader("X-User-Id"));
        if (header != null || json == null) {
            return header;
        }
        JsonNode user = json.get("user");
        return user != null && user.isTextual() ? nonBlank(user.textValue()) : null;
    }

    private static String nonBlank(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    private Uni<ProxyResult> passThrough(byte[] body, HttpServerRequest request) {
        ClientIdentity client = authenticator.authenticate(request.getHeader("Authorization"));
        String uri = request.uri();
        String path = uri.startsWith("/v1") ? uri.substring(3) : uri;
        JsonNode json = parser.parseIfJson(body);
        RequestContext context = RequestContext.start(client.scope(), nonBlank(request.getHeader("X-Session-Id")), userOf(request, json));
        return pipeline.passThrough(Endpoint.OTHER, request.method(), path, request.headers(), body, json, context);
    }

    /** Any failure, thrown or emitted, becomes an OpenAI-shaped answer. */
    private static Multi<Buffer> answer(Supplier<Uni<ProxyResult>> handler) {
        Uni<ProxyResult> result = Uni.createFrom().<ProxyResult>deferred(handler::get)
                .onFailure().recoverWithItem(failure -> errorResult(failure, null));
        return RestMulti.fromUniResponse(result, ProxyResult::asStream, OpenAiProxyResource::headers, ProxyResult::status);
    }

    private static ProxyResult errorResult(Throwable failure, String requestId) {
        StrataException error = failure instanceof StrataException known ? known
                : new ErrorMappers().unexpectedAsStrata(failure);
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().set("Content-Type", "application/json");
        if (requestId != null) {
            headers.set("X-Request-Id", requestId);
        }
        error.headers().forEach(headers::set);
        return new ProxyResult(error.status(), headers, OpenAiErrors.body(error), CacheStatus.BYPASS);
    }

    private static Map<String, List<String>> headers(ProxyResult result) {
        Map<String, List<String>> headers = new HashMap<>();
        for (var header : result.headers()) {
            headers.computeIfAbsent(header.getKey(), k -> new ArrayList<>(1)).add(header.getValue());
        }
        return headers;
    }
}
