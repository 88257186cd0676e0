package io.strata.cache;

/**
 * The identity of a cache entry: the SHA-256 (hex) of the key schema version, scope, namespace,
 * endpoint and canonical request body, plus the parts kept beside the entry for invalidation.
 */
public record CacheKey(String hex, String scope, String namespace, String endpoint) {
}
