package io.strata.proxy;

import java.io.IOException;
import java.util.Map;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.mutiny.Uni;
import io.strata.config.HistoryConfig;
import io.strata.core.StrataException;
import io.strata.history.Continuation;

/**
 * X-Session-Continue: the session's stored turns go before the request's messages, so a client
 * resumes a conversation by sending only its new message. The history record keeps both the body
 * as received and the messages as sent.
 */
@Singleton
public class SessionContinuation {

    private final Continuation continuation;
    private final HistoryConfig config;
    private final ObjectMapper json;

    public SessionContinuation(Continuation continuation, HistoryConfig config, ObjectMapper json) {
        this.continuation = continuation;
        this.config = config;
        this.json = json;
    }

    /** @throws StrataException 400 when continuation does not apply to this request */
    public void check(ProxyRequest request) {
        if (request.endpoint() != Endpoint.CHAT_COMPLETIONS) {
            throw StrataException.invalidRequest("invalid_request", "X-Session-Continue",
                    "X-Session-Continue applies to /v1/chat/completions only.");
        }
        if (request.context().sessionId() == null) {
            throw StrataException.invalidRequest("invalid_request", "X-Session-Id", "X-Session-Continue needs an X-Session-Id.");
        }
        if (config.mode() == HistoryConfig.Mode.OFF) {
            throw StrataException.invalidRequest("invalid_request", "X-Session-Continue",
                    "Conversation history is off (strata.history.mode=off): there are no stored turns to continue from.");
        }
    }

    /** The request with the stored turns placed first; fails with 503 history_unavailable when they cannot be read in time. */
    public Uni<ProxyRequest> continued(ProxyRequest request) {
        RequestContext context = request.context();
        return continuation.turns(context.sessionId(), context.scope())
                .ifNoItem().after(config.continuation().timeout()).fail()
                .onFailure().transform(failure -> new StrataException(503, "server_error", "history_unavailable", null,
                        "The session's stored turns could not be read; retry, or send the whole conversation.", Map.of()))
                .map(turns -> {
                    ObjectNode sent = ((ObjectNode) request.body()).deepCopy();
                    ArrayNode messages = turns.deepCopy();
                    messages.addAll((ArrayNode) request.body().get("messages"));
                    sent.set("messages", messages);
                    try {
                        return request.withBody(json.writeValueAsBytes(sent), sent,
                                context.continued(request.rawBody(), request.body(), json.writeValueAsBytes(messages)));
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
    }
}
