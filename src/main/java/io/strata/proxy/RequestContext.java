package io.strata.proxy;

import java.time.InstantSource;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Who asked what, for the history record of one request: its id (the record's id and
 * X-Request-Id), when it started, its attribution, and, when stored turns were placed before its
 * messages, the body as the client sent it and the messages as they went upstream.
 *
 * @param receivedBody the client's body when it differs from what went upstream, else null
 * @param sentMessages the messages as sent upstream (JSON bytes) on continuation, else null
 */
public record RequestContext(String requestId, long startedAtMillis, long startNanos, String scope, String sessionId,
        String userId, byte[] receivedBody, JsonNode received, byte[] sentMessages) {

    public static RequestContext start(InstantSource clock, String scope, String sessionId, String userId) {
        long now = clock.millis();
        return new RequestContext(RequestIds.next(now), now, System.nanoTime(), scope, sessionId, userId, null, null, null);
    }

    public RequestContext withUser(String user) {
        return new RequestContext(requestId, startedAtMillis, startNanos, scope, sessionId, user, receivedBody, received, sentMessages);
    }

    /** Stored turns were placed before the request's messages: remember both what came in and what went out. */
    public RequestContext continued(byte[] clientBody, JsonNode clientJson, byte[] messagesSent) {
        return new RequestContext(requestId, startedAtMillis, startNanos, scope, sessionId, userId, clientBody, clientJson, messagesSent);
    }

    public long elapsedMillis() {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
