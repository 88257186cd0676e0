package io.strata.semantic;

import io.strata.cache.CacheEntry;

/** The entry that answers a request by meaning, and how close the two final user texts are (cosine). */
public record SemanticHit(CacheEntry entry, double similarity) {
}
