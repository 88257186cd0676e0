package io.strata.api;

import java.time.InstantSource;
import java.util.Map;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;

import io.strata.config.CacheConfig;
import io.strata.config.HistoryConfig;
import io.strata.config.UpstreamConfig;
import io.strata.core.ClientIdentity;
import io.strata.core.StrataException;
import io.strata.history.StorableText;
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
    private final int maxIdLength;
    /** Pass-through paths the provider key may be lent to; null in forward mode (every path passes). */
    private final ReplaceModeAllowList replaceModeAllowed;

    public ProxyRequestReader(ClientAuthenticator authenticator, RequestBodyParser parser, CacheConfig cacheConfig, HistoryConfig history,
            UpstreamConfig upstream, InstantSource clock) {
        this.authenticator = authenticator;
        this.parser = parser;
        this.cacheConfig = cacheConfig;
        this.clock = clock;
        this.maxIdLength = history.maxIdLength();
        this.replaceModeAllowed = upstream.authMode() == UpstreamConfig.AuthMode.REPLACE
                ? ReplaceModeAllowList.parse(upstream.replaceMode().allowedPaths())
                : null;
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
        RequestContext context = attributed(client, request);
        JsonNode json;
        CacheDirectives directives;
        String bodyUser;
        try {
            json = endpoint == Endpoint.MODELS ? null : parser.parse(endpoint, body);
            directives = CacheDirectives.parse(request.getHeader("Cache-Control"), request.getHeader("X-Cache-TTL"),
                    request.getHeader("X-Cache-Namespace"), request.getHeader("X-Cache-Semantic"), cacheConfig.ttl().max());
            bodyUser = context.userId() == null ? StorableText.id(bodyUser(json), "user", maxIdLength) : null;
        } catch (StrataException invalid) {
            throw new Refused(context, invalid);
        }
        // The query goes upstream (Azure OpenAI needs its ?api-version=) and into the key.
        String query = request.query();
        return new ProxyRequest(endpoint, request.method(), query == null ? endpoint.path() : endpoint.path() + "?" + query,
                request.headers(), body, json, client, directives, bodyUser != null ? context.withUser(bodyUser) : context);
    }

    /**
     * Any other /v1/* request, passed through as it is, to its normalised path.
     *
     * @throws Refused 400 for a path that leaves /v1/, 403 for a path replace mode does not lend the provider key to
     */
    public ProxyRequest passThrough(HttpServerRequest request, byte[] body) {
        ClientIdentity client = authenticator.authenticate(request.getHeader("Authorization"));
        RequestContext context = attributed(client, request);
        JsonNode json = parser.parseIfJson(body);
        String path;
        try {
            path = UpstreamPath.below(request.path());
            if (replaceModeAllowed != null && !replaceModeAllowed.allows(request.method().name(), path)) {
                throw new StrataException(403, "invalid_request_error", "forbidden", null, "In replace mode Strata passes "
                        + request.method().name() + " " + path + " through to the provider only if "
                        + "strata.upstream.replace-mode.allowed-paths lists it.", Map.of());
            }
            if (context.userId() == null) {
                String user = StorableText.id(bodyUser(json), "user", maxIdLength);
                context = user == null ? context : context.withUser(user);
            }
        } catch (StrataException refused) {
            throw new Refused(context, refused);
        }
        String query = request.query();
        return new ProxyRequest(Endpoint.OTHER, request.method(), query == null ? path : path + "?" + query, request.headers(), body,
                json, client, CacheDirectives.NONE, context);
    }

    /** The context with the attribution headers; a header that cannot be stored is refused (recorded without it). */
    private RequestContext attributed(ClientIdentity client, HttpServerRequest request) {
        String session;
        String user;
        try {
            session = StorableText.id(nonBlank(request.getHeader("X-Session-Id")), "X-Session-Id", maxIdLength);
            user = StorableText.id(nonBlank(request.getHeader("X-User-Id")), "X-User-Id", maxIdLength);
        } catch (StrataException invalid) {
            throw new Refused(RequestContext.start(clock, client.scope(), null, null), invalid);
        }
        return RequestContext.start(clock, client.scope(), session, user);
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
