package io.strata.proxy;

import java.util.Set;

import jakarta.inject.Singleton;

import io.strata.config.UpstreamConfig;
import io.strata.upstream.UpstreamRequest;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;

/**
 * Builds the provider request from the client's: its body bytes unchanged, its headers minus
 * hop-by-hop and Strata's own, and the Authorization the auth mode calls for.
 */
@Singleton
public class UpstreamRequestFactory {

    /** Headers that never go upstream: hop-by-hop, recomputed, or meant for Strata alone. */
    static final Set<String> NOT_FORWARDED = Set.of(
            "host", "content-length", "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
            "proxy-authorization", "proxy-connection", "expect", "accept-encoding", "authorization",
            "cache-control", "x-cache-ttl", "x-cache-namespace", "x-cache-semantic", "x-session-id", "x-session-continue", "x-user-id");

    private final UpstreamConfig config;
    private final String replacementAuthorization;

    public UpstreamRequestFactory(UpstreamConfig config) {
        this.config = config;
        this.replacementAuthorization = config.apiKey().map(key -> "Bearer " + key).orElse(null);
    }

    public UpstreamRequest create(HttpMethod method, String path, MultiMap clientHeaders, byte[] body, long estimatedTokens,
            boolean streaming) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        for (var header : clientHeaders) {
            if (!NOT_FORWARDED.contains(header.getKey().toLowerCase(java.util.Locale.ROOT))) {
                headers.add(header.getKey(), header.getValue());
            }
        }
        if (config.authMode() == UpstreamConfig.AuthMode.REPLACE) {
            if (replacementAuthorization != null) {
                headers.set("Authorization", replacementAuthorization);
            }
        } else {
            String authorization = clientHeaders.get("Authorization");
            if (authorization != null) {
                headers.set("Authorization", authorization);
            }
        }
        return new UpstreamRequest(method, path, headers, body == null ? null : Buffer.buffer(body), estimatedTokens, streaming);
    }
}
