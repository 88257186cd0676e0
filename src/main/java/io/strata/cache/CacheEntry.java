package io.strata.cache;

/**
 * A stored answer: the provider's JSON body as received, when it was created, until when it is
 * fresh, until when it may still be served STALE, and what it may be invalidated by.
 */
public record CacheEntry(
        CacheKey key,
        byte[] body,
        long createdAtMillis,
        long expiresAtMillis,
        long staleUntilMillis,
        String modelVersion) {

    public boolean freshAt(long nowMillis) {
        return nowMillis < expiresAtMillis;
    }

    public boolean servableStaleAt(long nowMillis) {
        return nowMillis < staleUntilMillis;
    }

    /** Whole seconds since the entry was created, as the Age header reports it. */
    public long ageSeconds(long nowMillis) {
        return Math.max(0, (nowMillis - createdAtMillis) / 1000);
    }
}
