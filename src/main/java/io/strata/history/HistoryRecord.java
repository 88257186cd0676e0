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

    /** What the record holds on the heap, roughly: its bodies and texts, and a fixed part for the rest. */
    long approximateBytes() {
        return 256 + length(request) + length(parameters) + length(sentMessages) + length(response) + length(sealed)
                + 2L * (length(scope) + length(sessionId) + length(userId) + length(modelRequested) + length(modelVersion));
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    private static int length(String text) {
        return text == null ? 0 : text.length();
    }

    /** The bodies as one value, for sealing. */
    RecordBodies bodies() {
        return new RecordBodies(request, parameters, sentMessages, response);
    }
}
