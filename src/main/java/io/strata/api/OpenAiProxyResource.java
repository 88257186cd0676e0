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
import io.strata.proxy.RequestIds;
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

    public OpenAiProxyResource(ProxyPipeline pipeline, ClientAuthenticator authenticator, RequestBodyParser parser,
            CacheConfig cacheConfig) {
        this.pipeline = pipeline;
        this.authenticator = authenticator;
        this.parser = parser;
        this.cacheConfig = cacheConfig;
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
        String requestId = RequestIds.next();
        ClientIdentity client = authenticator.authenticate(request.getHeader("Authorization"));
        JsonNode json = endpoint == Endpoint.MODELS ? null : parser.parse(endpoint, body);
        CacheDirectives directives = CacheDirectives.parse(request.getHeader("Cache-Control"), request.getHeader("X-Cache-TTL"),
                request.getHeader("X-Cache-Namespace"), cacheConfig.ttl().max());
        return pipeline.cached(endpoint, request.method(), client, request.headers(), body, json, directives, requestId);
    }

    private Uni<ProxyResult> passThrough(byte[] body, HttpServerRequest request) {
        authenticator.authenticate(request.getHeader("Authorization"));
        String uri = request.uri();
        String path = uri.startsWith("/v1") ? uri.substring(3) : uri;
        return pipeline.passThrough(Endpoint.OTHER, request.method(), path, request.headers(), body, RequestIds.next());
    }

    /** Any failure, thrown or emitted, becomes an OpenAI-shaped answer. */
    private static Multi<Buffer> answer(Supplier<Uni<ProxyResult>> handler) {
        Uni<ProxyResult> result = Uni.createFrom().<ProxyResult>deferred(handler::get)
                .onFailure().recoverWithItem(OpenAiProxyResource::errorResult);
        return RestMulti.fromUniResponse(result, ProxyResult::asStream, OpenAiProxyResource::headers, ProxyResult::status);
    }

    private static ProxyResult errorResult(Throwable failure) {
        StrataException error = failure instanceof StrataException known ? known
                : new ErrorMappers().unexpectedAsStrata(failure);
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().set("Content-Type", "application/json");
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
