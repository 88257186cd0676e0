package io.strata.proxy;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Who asked what, for the history record of one request: its id (the record's id and
 * X-Request-Id), when it started, its attribution, and its messages as sent when stored turns were
 * placed before them.
 */
public record RequestContext(String requestId, long startedAtMillis, long startNanos, String scope, String sessionId,
        String userId, JsonNode received, JsonNode sentMessages) {

    public static RequestContext start(String scope, String sessionId, String userId) {
        return new RequestContext(RequestIds.next(), System.currentTimeMillis(), System.nanoTime(), scope, sessionId, userId,
                null, null);
    }

    /** Stored turns were placed before the request's messages: remember both what came in and what went out. */
    public RequestContext continued(JsonNode receivedBody, JsonNode messagesSent) {
        return new RequestContext(requestId, startedAtMillis, startNanos, scope, sessionId, userId, receivedBody, messagesSent);
    }

    public long elapsedMillis() {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
