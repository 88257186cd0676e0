package io.strata.proxy;

import io.strata.cache.CacheStatus;
import io.vertx.core.MultiMap;

/** The answer to send: status, headers (X-Cache-Status, Age, X-Cache-Key, X-Request-Id, provider headers) and body. */
public record ProxyResult(int status, MultiMap headers, byte[] body, CacheStatus cacheStatus) {
}
