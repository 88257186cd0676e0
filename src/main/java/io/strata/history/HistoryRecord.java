package io.strata.history;

/**
 * One exchange as it is written: who, what was asked (as received, and as sent when stored turns
 * were placed before it), what was answered, with which model and parameters, and how the cache
 * served it. JSON parts are bytes of JSON (null when not recorded); {@code sealed} holds them
 * encrypted instead when encryption is on.
 */
public record HistoryRecord(
        String id,
        long timestampMillis,
        String scope,
        String sessionId,
        String userId,
        String endpoint,
        String modelRequested,
        String modelVersion,
        byte[] prompt,
        byte[] promptSent,
        byte[] response,
        byte[] parameters,
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
}
