package io.strata.cache;

/**
 * A stored answer: the provider's JSON body as received, when it was created, until when it is
 * fresh, until when it may still be served STALE, what it may be invalidated by, and the usage
 * the provider billed for it (so hits can be accounted without parsing the body). An answer that
 * was streamed also keeps the events it was assembled from ({@code events}, see
 * {@code SseEvents}), so a streamed hit replays them; otherwise {@code events} is null.
 */
public record CacheEntry(
        CacheKey key,
        byte[] body,
        long createdAtMillis,
        long expiresAtMillis,
        long staleUntilMillis,
        String modelVersion,
        int promptTokens,
        int completionTokens,
        byte[] events) {

    /** Token count of an answer that reported none. */
    public static final int UNKNOWN = -1;

    public boolean streamed() {
        return events != null;
    }

    public boolean freshAt(long nowMillis) {
        return nowMillis < expiresAtMillis;
    }

    public boolean servableStaleAt(long nowMillis) {
        return nowMillis < staleUntilMillis;
    }

    /** Bytes of the stored answer and its events: what a layer's size limit is checked against. */
    public long sizeBytes() {
        return body.length + (events == null ? 0 : events.length);
    }

    /** Whole seconds since the entry was created, as the Age header reports it. */
    public long ageSeconds(long nowMillis) {
        return Math.max(0, (nowMillis - createdAtMillis) / 1000);
    }
}
