package io.strata.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import io.smallrye.mutiny.Uni;
import io.strata.config.HistoryConfig;

/**
 * The stored turns of a session, for X-Session-Continue: each past exchange on the same endpoint
 * (chat completions, or responses) gives the user message(s) it added and the assistant's answer,
 * oldest first, the latest {@code strata.history.continuation.max-messages} of them. Records
 * still queued for writing count too, so a client that continues at once does not lose its last
 * turn. Turns are {@code {"role","content"}} messages, which both endpoints accept as input.
 */
@Singleton
public class Continuation {

    private final HistoryRepository repository;
    private final HistoryWriter writer;
    private final RecordContent content;
    private final ObjectMapper json;
    private final int maxMessages;

    public Continuation(HistoryRepository repository, HistoryWriter writer, RecordContent content, ObjectMapper json,
            HistoryConfig config) {
        this.repository = repository;
        this.writer = writer;
        this.content = content;
        this.json = json;
        this.maxMessages = config.continuation().maxMessages();
    }

    /** @param endpoint the endpoint id of the continued request ("chat.completions" or "responses") */
    public Uni<ArrayNode> turns(String sessionId, String scope, String endpoint) {
        // Pending records first: a batch that commits while the query runs is then in one or the other.
        List<HistoryRecord> pending = writer.pending(r -> sessionId.equals(r.sessionId()) && scope.equals(r.scope())
                && endpoint.equals(r.endpoint()) && r.status() == 200);
        boolean responses = RecordContent.RESPONSES.equals(endpoint);
        return repository.latestExchanges(sessionId, scope, endpoint, maxMessages).map(stored -> {
            List<Turn> turns = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (StoredRecord record : stored) {
                seen.add(record.id().toString());
                RecordContent.Shown shown = content.of(record);
                if (shown.unavailable()) {
                    // a turn left out would change the conversation without a word: refuse instead (503 history_unavailable)
                    throw new UnreadableTurn(record.id().toString(), record.keyId());
                }
                turns.add(new Turn(record.timestamp().toInstant().toEpochMilli(), record.id().toString(), shown.prompt(),
                        shown.response()));
            }
            for (HistoryRecord queued : pending) {
                if (seen.add(queued.id())) {
                    RecordContent.Shown shown = content.of(queued);
                    turns.add(new Turn(queued.timestampMillis(), queued.id(), shown.prompt(), shown.response()));
                }
            }
            turns.sort(Comparator.comparingLong(Turn::millis).thenComparing(Turn::id));
            ArrayNode messages = json.createArrayNode();
            for (Turn turn : turns) {
                addNewUserMessages(turn.prompt(), messages);
                if (responses) {
                    String text = outputText(turn.response());
                    if (text != null) {
                        messages.add(json.createObjectNode().put("role", "assistant").put("content", text));
                    }
                    continue;
                }
                JsonNode answer = turn.response() == null ? null : turn.response().path("choices").path(0).path("message");
                if (answer != null && answer.isObject()) {
                    messages.add(json.createObjectNode().put("role", "assistant").set("content", answer.get("content")));
                }
            }
            ArrayNode latest = json.createArrayNode();
            for (int i = Math.max(0, messages.size() - maxMessages); i < messages.size(); i++) {
                latest.add(messages.get(i));
            }
            return latest;
        });
    }

    /** The text of a response's output messages, or null when it has none (a function call only). */
    private static String outputText(JsonNode response) {
        if (response == null) {
            return null;
        }
        StringBuilder text = null;
        for (JsonNode item : response.path("output")) {
            if (!"message".equals(item.path("type").asText())) {
                continue;
            }
            for (JsonNode part : item.path("content")) {
                if ("output_text".equals(part.path("type").asText())) {
                    text = text == null ? new StringBuilder() : text;
                    text.append(part.path("text").asText(""));
                }
            }
        }
        return text == null ? null : text.toString();
    }

    /** The user messages a request added: those after its last assistant message (clients may resend earlier turns). */
    private static void addNewUserMessages(JsonNode prompt, ArrayNode into) {
        if (prompt == null || !prompt.isArray()) {
            return;
        }
        int start = 0;
        for (int i = 0; i < prompt.size(); i++) {
            if ("assistant".equals(prompt.get(i).path("role").asText())) {
                start = i + 1;
            }
        }
        for (int i = start; i < prompt.size(); i++) {
            if ("user".equals(prompt.get(i).path("role").asText())) {
                into.add(prompt.get(i));
            }
        }
    }

    private record Turn(long millis, String id, JsonNode prompt, JsonNode response) {
    }

    /** A stored turn that cannot be opened (sealed under a key that is not configured, or damaged). */
    public static final class UnreadableTurn extends IllegalStateException {
        UnreadableTurn(String recordId, String keyId) {
            super("stored turn " + recordId + " cannot be read" + (keyId == null ? "" : " (sealed under key '" + keyId + "')"));
        }
    }
}
