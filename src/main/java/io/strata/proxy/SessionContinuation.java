package io.strata.proxy;

import java.io.IOException;
import java.util.Map;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.mutiny.Uni;
import io.strata.config.HistoryConfig;
import io.strata.core.StrataException;
import io.strata.history.Continuation;
import io.strata.history.RecordContent;

/**
 * X-Session-Continue: the session's stored turns go before the request's messages (chat) or input
 * items (responses), so a client resumes a conversation by sending only its new message. The
 * history record keeps both the body as received and the prompt as sent.
 */
@Singleton
public class SessionContinuation {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(SessionContinuation.class);

    private final io.strata.core.ThrottledLog unavailableLog = new io.strata.core.ThrottledLog(LOG, org.jboss.logging.Logger.Level.WARN,
            10_000);
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
        if (request.endpoint() != Endpoint.CHAT_COMPLETIONS && request.endpoint() != Endpoint.RESPONSES) {
            throw StrataException.invalidRequest("invalid_request", "X-Session-Continue",
                    "X-Session-Continue applies to /v1/chat/completions and /v1/responses only.");
        }
        for (String providerState : new String[]{"previous_response_id", "conversation"}) {
            JsonNode value = request.body().get(providerState);
            if (value != null && !value.isNull()) {
                throw StrataException.invalidRequest("invalid_request", "X-Session-Continue", "X-Session-Continue and '"
                        + providerState + "' both name the conversation to continue: send one of them.");
            }
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
        return continuation.turns(context.sessionId(), context.scope(), request.endpoint().id())
                .ifNoItem().after(config.continuation().timeout()).fail()
                .onFailure().transform(failure -> {
                    unavailableLog.occurred("Stored turns of a session unavailable for X-Session-Continue: " + failure.getMessage());
                    return new StrataException(503, "server_error", "history_unavailable", null,
                            "The session's stored turns could not be read; retry, or send the whole conversation.", Map.of());
                })
                .map(turns -> {
                    boolean responses = request.endpoint() == Endpoint.RESPONSES;
                    ObjectNode sent = ((ObjectNode) request.body()).deepCopy();
                    ArrayNode messages = turns.deepCopy();
                    JsonNode own = request.body().get(responses ? "input" : "messages");
                    if (own != null && own.isTextual()) {
                        messages.addObject().put("role", "user").put("content", own.textValue());
                    } else if (own != null && own.isArray()) {
                        messages.addAll((ArrayNode) own);
                    }
                    sent.set(responses ? "input" : "messages", messages);
                    JsonNode sentPrompt = responses ? RecordContent.promptOf(request.endpoint().id(), sent) : messages;
                    try {
                        return request.withBody(json.writeValueAsBytes(sent), sent,
                                context.continued(request.rawBody(), request.body(), json.writeValueAsBytes(sentPrompt)));
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
    }
}
