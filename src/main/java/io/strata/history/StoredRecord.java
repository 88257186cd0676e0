package io.strata.history;

import java.time.OffsetDateTime;
import java.util.UUID;

/** A history row as read back: JSON parts as text, or sealed under {@code keyId}. */
public record StoredRecord(
        UUID id,
        OffsetDateTime timestamp,
        String scope,
        String sessionId,
        String userId,
        String endpoint,
        String modelRequested,
        String modelVersion,
        String prompt,
        String promptSent,
        String response,
        String parameters,
        byte[] sealed,
        String keyId,
        boolean cacheHit,
        String cacheLevel,
        String cacheStatus,
        int latencyMs,
        Integer promptTokens,
        Integer completionTokens,
        Integer upstreamStatus,
        int status) {

    public Cursor cursor() {
        return new Cursor(timestamp, id);
    }
}
