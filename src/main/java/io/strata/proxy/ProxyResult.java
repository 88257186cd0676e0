package io.strata.proxy;

import io.smallrye.mutiny.Multi;
import io.strata.cache.CacheStatus;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * The answer to send: status, headers (X-Cache-Status, Age, X-Cache-Key, X-Request-Id, provider
 * headers), and either a whole body (sent in one piece with Content-Length) or a stream of
 * server-sent events; and what it was made of, for the history record.
 */
public record ProxyResult(int status, MultiMap headers, Buffer body, Multi<Buffer> stream, CacheStatus cacheStatus, Served served) {
}
