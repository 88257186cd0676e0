package io.strata.api;

import java.time.InstantSource;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;

import io.strata.config.CacheConfig;
import io.strata.core.ClientIdentity;
import io.strata.core.StrataException;
import io.strata.proxy.CacheDirectives;
import io.strata.proxy.Endpoint;
import io.strata.proxy.ProxyRequest;
import io.strata.proxy.RequestBodyParser;
import io.strata.proxy.RequestContext;
import io.vertx.core.http.HttpServerRequest;

/** Reads one HTTP request into a {@link ProxyRequest}: who calls, the body parsed once, the cache headers. */
@Singleton
public class ProxyRequestReader {

    private final ClientAuthenticator authenticator;
    private final RequestBodyParser parser;
    private final CacheConfig cacheConfig;
    private final InstantSource clock;

    public ProxyRequestReader(ClientAuthenticator authenticator, RequestBodyParser parser, CacheConfig cacheConfig, InstantSource clock) {
        this.authenticator = authenticator;
        this.parser = parser;
        this.cacheConfig = cacheConfig;
        this.clock = clock;
    }

    /** A request Strata refuses after it knows who sent it: answered with the error, and recorded. */
    public static final class Refused extends RuntimeException {
        private final transient RequestContext context;
        private final transient StrataException error;

        Refused(RequestContext context, StrataException error) {
            super(error.getMessage(), null, false, false);
            this.context = context;
            this.error = error;
        }

        public RequestContext context() {
            return context;
        }

        public StrataException error() {
            return error;
        }
    }

    /**
     * @throws StrataException 401 for a bad client key (not recorded: it names no tenant)
     * @throws Refused         for a body or header Strata cannot use
     */
    public ProxyRequest cached(Endpoint endpoint, HttpServerRequest request, byte[] body) {
        ClientIdentity client = authenticator.authenticate(request.getHeader("Authorization"));
        String headerUser = nonBlank(request.getHeader("X-User-Id"));
        RequestContext context = RequestContext.start(clock, client.scope(), nonBlank(request.getHeader("X-Session-Id")), headerUser);
        JsonNode json;
        CacheDirectives directives;
        try {
            json = endpoint == Endpoint.MODELS ? null : parser.parse(endpoint, body);
            directives = CacheDirectives.parse(request.getHeader("Cache-Control"), request.getHeader("X-Cache-TTL"),
                    request.getHeader("X-Cache-Namespace"), request.getHeader("X-Cache-Semantic"), cacheConfig.ttl().max());
        } catch (StrataException invalid) {
            throw new Refused(context, invalid);
        }
        return new ProxyRequest(endpoint, request.method(), endpoint.path(), request.headers(), body, json, client, directives,
                headerUser == null ? context.withUser(bodyUser(json)) : context);
    }

    /** Any other /v1/* request, passed through as it is. */
    public ProxyRequest passThrough(HttpServerRequest request, byte[] body) {
        ClientIdentity client = authenticator.authenticate(request.getHeader("Authorization"));
        String uri = request.uri();
        String path = uri.startsWith("/v1") ? uri.substring(3) : uri;
        JsonNode json = parser.parseIfJson(body);
        String headerUser = nonBlank(request.getHeader("X-User-Id"));
        RequestContext context = RequestContext.start(clock, client.scope(), nonBlank(request.getHeader("X-Session-Id")),
                headerUser != null ? headerUser : bodyUser(json));
        return new ProxyRequest(Endpoint.OTHER, request.method(), path, request.headers(), body, json, client, CacheDirectives.NONE,
                context);
    }

    /** The body's {@code user} field: the fallback user id. */
    private static String bodyUser(JsonNode json) {
        JsonNode user = json == null ? null : json.get("user");
        return user != null && user.isTextual() ? nonBlank(user.textValue()) : null;
    }

    private static String nonBlank(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
