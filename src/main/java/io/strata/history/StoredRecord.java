package io.strata.history;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A history row as read back: bodies as bytes ({@code request}, {@code parametersBody},
 * {@code sentMessages}, {@code responseBody}), or sealed under {@code keyId}; rows written before
 * bodies were kept as bytes carry their JSON as text instead ({@code prompt} … {@code parameters}).
 */
public record StoredRecord(
        UUID id,
        OffsetDateTime timestamp,
        String scope,
        String sessionId,
        String userId,
        String endpoint,
        String modelRequested,
        String modelVersion,
        byte[] request,
        byte[] parametersBody,
        byte[] sentMessages,
        byte[] responseBody,
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
        int status,
        Double similarity,
        String servedKey) {

    public Cursor cursor() {
        return new Cursor(timestamp, id);
    }
}
