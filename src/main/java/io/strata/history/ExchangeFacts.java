package io.strata.history;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the request path knows of one exchange when it ends, for its history record. Bodies are
 * the bytes as they were received or sent: a record of the default mode copies and re-encodes
 * nothing.
 *
 * @param requestBody  the client's body as received, or null
 * @param request      the same body parsed, or null (not JSON, or none)
 * @param sentMessages the messages as sent upstream (JSON) when stored turns were placed before them, else null
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
        byte[] requestBody,
        JsonNode request,
        byte[] sentMessages,
        int status,
        String cacheStatus,
        String modelVersion,
        Integer promptTokens,
        Integer completionTokens,
        Integer upstreamStatus,
        byte[] response) {
}
