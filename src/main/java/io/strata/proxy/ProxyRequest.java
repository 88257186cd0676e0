package io.strata.proxy;

import com.fasterxml.jackson.databind.JsonNode;

import io.strata.core.ClientIdentity;
import io.strata.upstream.sse.StreamOptions;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;

/**
 * One request as the pipeline sees it, parsed once at the edge.
 *
 * @param path    the path below the provider's base URL, with its query (the endpoint's own path for cached endpoints)
 * @param rawBody the body bytes that go upstream (the client's, unchanged; with stored turns placed before them on continuation)
 * @param body    the parsed body, or null (models, non-JSON pass-through bodies)
 */
public record ProxyRequest(Endpoint endpoint, HttpMethod method, String path, MultiMap headers, byte[] rawBody, JsonNode body,
        ClientIdentity client, CacheDirectives directives, RequestContext context) {

    /** The query string of the request (without its '?'), or null when it has none. */
    public String query() {
        int mark = path.indexOf('?');
        return mark < 0 ? null : path.substring(mark + 1);
    }

    /** Whether the client asked for server-sent events. */
    public boolean clientStreams() {
        return endpoint.streams() && body != null && body.path("stream").asBoolean(false);
    }

    /** Whether the client itself asked for the usage chunk of a stream. */
    public boolean clientWantsUsage() {
        return StreamOptions.clientWantsUsage(body);
    }

    public String requestId() {
        return context.requestId();
    }

    /** The same request with a body that goes upstream instead of the client's (stored turns placed before its messages). */
    public ProxyRequest withBody(byte[] sentBytes, JsonNode sent, RequestContext continued) {
        return new ProxyRequest(endpoint, method, path, headers, sentBytes, sent, client, directives, continued);
    }
}
