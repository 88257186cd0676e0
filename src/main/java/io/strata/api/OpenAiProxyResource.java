package io.strata.api;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.databind.JsonNode;

import io.smallrye.mutiny.Uni;
import io.strata.config.CacheConfig;
import io.strata.proxy.CacheDirectives;
import io.strata.proxy.Endpoint;
import io.strata.proxy.ProxyPipeline;
import io.strata.proxy.ProxyResult;
import io.strata.proxy.RequestBodyParser;
import io.strata.proxy.RequestIds;
import io.vertx.core.http.HttpServerRequest;

/** The OpenAI-compatible surface: cached endpoints, and every other /v1/* passed through. */
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
    public Uni<Response> chatCompletions(byte[] body, @Context HttpServerRequest request) {
        return cached(Endpoint.CHAT_COMPLETIONS, body, request);
    }

    @POST
    @Path("completions")
    public Uni<Response> completions(byte[] body, @Context HttpServerRequest request) {
        return cached(Endpoint.COMPLETIONS, body, request);
    }

    @POST
    @Path("embeddings")
    public Uni<Response> embeddings(byte[] body, @Context HttpServerRequest request) {
        return cached(Endpoint.EMBEDDINGS, body, request);
    }

    @GET
    @Path("models")
    public Uni<Response> models(@Context HttpServerRequest request) {
        return cached(Endpoint.MODELS, null, request);
    }

    @GET
    @Path("{path:.+}")
    public Uni<Response> get(@Context HttpServerRequest request) {
        return passThrough(null, request);
    }

    @DELETE
    @Path("{path:.+}")
    public Uni<Response> delete(@Context HttpServerRequest request) {
        return passThrough(null, request);
    }

    @POST
    @Path("{path:.+}")
    public Uni<Response> post(byte[] body, @Context HttpServerRequest request) {
        return passThrough(body, request);
    }

    @PUT
    @Path("{path:.+}")
    public Uni<Response> put(byte[] body, @Context HttpServerRequest request) {
        return passThrough(body, request);
    }

    @PATCH
    @Path("{path:.+}")
    public Uni<Response> patch(byte[] body, @Context HttpServerRequest request) {
        return passThrough(body, request);
    }

    private Uni<Response> cached(Endpoint endpoint, byte[] body, HttpServerRequest request) {
        String requestId = RequestIds.next();
        ClientIdentity client = authenticator.authenticate(request.getHeader("Authorization"));
        JsonNode json = endpoint == Endpoint.MODELS ? null : parser.parse(endpoint, body);
        CacheDirectives directives = CacheDirectives.parse(request.getHeader("Cache-Control"), request.getHeader("X-Cache-TTL"),
                request.getHeader("X-Cache-Namespace"), cacheConfig.ttl().max());
        return pipeline.cached(endpoint, request.method(), client, request.headers(), body, json, directives, requestId)
                .map(OpenAiProxyResource::toResponse);
    }

    private Uni<Response> passThrough(byte[] body, HttpServerRequest request) {
        authenticator.authenticate(request.getHeader("Authorization"));
        String uri = request.uri();
        String path = uri.startsWith("/v1") ? uri.substring(3) : uri;
        return pipeline.passThrough(Endpoint.OTHER, request.method(), path, request.headers(), body, RequestIds.next())
                .map(OpenAiProxyResource::toResponse);
    }

    static Response toResponse(ProxyResult result) {
        Response.ResponseBuilder response = Response.status(result.status()).entity(result.body());
        for (var header : result.headers()) {
            response.header(header.getKey(), header.getValue());
        }
        return response.build();
    }
}
