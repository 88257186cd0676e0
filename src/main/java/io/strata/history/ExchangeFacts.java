package io.strata.history;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the request path knows of one exchange when it ends, for its history record.
 *
 * @param request      the body as received (parsed), or null
 * @param sentMessages the messages as sent upstream when stored turns were placed before them, else null
 * @param response     the answer as JSON bytes (the assembled completion for a stream), or null
 */
public record ExchangeFacts(
        String requestId,
        long startedAtMillis,
        long latencyMs,
        String scope,
        String sessionId,
        String userId,
        String endpoint,
        JsonNode request,
        JsonNode sentMessages,
        int status,
        String cacheStatus,
        String modelVersion,
        Integer promptTokens,
        Integer completionTokens,
        Integer upstreamStatus,
        byte[] response) {
}
