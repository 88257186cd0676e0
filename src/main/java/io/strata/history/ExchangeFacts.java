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
 * @param similarity   on a semantic hit, the cosine of the two final user texts, else null
 * @param servedKey    on a semantic hit, the key of the entry that answered, else null
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
        byte[] response,
        Double similarity,
        String servedKey) {

    /** The same facts of an answer served by meaning: how close the question was, and the key of the entry that answered. */
    public ExchangeFacts servedBySemantic(double cosine, String entryKey) {
        return new ExchangeFacts(requestId, startedAtMillis, latencyMs, scope, sessionId, userId, endpoint, requestBody, request,
                sentMessages, status, cacheStatus, modelVersion, promptTokens, completionTokens, upstreamStatus, response, cosine,
                entryKey);
    }
}
