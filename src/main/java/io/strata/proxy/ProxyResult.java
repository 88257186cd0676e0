package io.strata.proxy;

import io.smallrye.mutiny.Multi;
import io.strata.cache.CacheStatus;
import io.vertx.core.MultiMap;
import io.vertx.mutiny.core.buffer.Buffer;

/**
 * The answer to send: status, headers (X-Cache-Status, Age, X-Cache-Key, X-Request-Id, provider
 * headers), and either a whole body or a stream of server-sent events.
 */
public record ProxyResult(int status, MultiMap headers, byte[] body, Multi<Buffer> stream, CacheStatus cacheStatus) {

    public ProxyResult(int status, MultiMap headers, byte[] body, CacheStatus cacheStatus) {
        this(status, headers, body, null, cacheStatus);
    }

    /** The body as a stream of one chunk, or the stream itself. */
    public Multi<Buffer> asStream() {
        return stream != null ? stream : Multi.createFrom().item(Buffer.buffer(body));
    }
}
