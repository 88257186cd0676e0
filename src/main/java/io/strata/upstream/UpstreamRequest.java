package io.strata.upstream;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;

/**
 * A call to the provider.
 *
 * @param path    the path below the provider's base URL, with its query, e.g. {@code /chat/completions}
 * @param headers the headers to send (already filtered and with the Authorization the auth mode chose)
 * @param body    the client's body bytes, unchanged; null for bodiless requests
 * @param estimatedTokens what the call may cost in tokens, reserved from the shared budget before it is sent
 * @param streaming       whether a 200 answer is read as a live stream rather than buffered
 */
public record UpstreamRequest(HttpMethod method, String path, MultiMap headers, Buffer body, long estimatedTokens,
        boolean streaming) {
}
