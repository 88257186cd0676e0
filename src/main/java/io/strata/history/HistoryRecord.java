package io.strata.history;

/**
 * One exchange as it is written: who, what was asked (the body as received; the messages as sent
 * when stored turns were placed before them), what was answered, with which model, and how the
 * cache served it. Bodies are bytes (null when not recorded), stored as they are; the prompt and
 * the parameters are read out of the request body when a record is shown. {@code sealed} holds
 * the bodies encrypted instead when encryption is on.
 *
 * @param parameters the sampling parameters alone, in {@code metadata-only} mode (where no body is kept)
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
        byte[] request,
        byte[] parameters,
        byte[] sentMessages,
        byte[] response,
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

    /** The bodies as one value, for sealing. */
    RecordBodies bodies() {
        return new RecordBodies(request, parameters, sentMessages, response);
    }
}
