package io.strata.upstream.sse;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Turns a non-streamed completion into the chunks a streamed call would have sent, in the order an
 * OpenAI SDK assembles into the same message: role, reasoning, content, refusal, tool calls, finish
 * reason, then the usage chunk (when asked for) and [DONE].
 */
public final class ChunkSynthesizer {

    private static final String[] TEXT_FIELDS = {"reasoning_content", "reasoning", "content", "refusal"};

    private final ObjectMapper json;

    public ChunkSynthesizer(ObjectMapper json) {
        this.json = json;
    }

    public List<SseEvent> chunks(JsonNode completion, boolean chat, boolean includeUsage) {
        List<SseEvent> events = new ArrayList<>();
        for (JsonNode choice : completion.path("choices")) {
            int index = choice.path("index").asInt(0);
            if (chat) {
                JsonNode message = choice.path("message");
                ObjectNode first = json.createObjectNode().put("role", message.path("role").asText("assistant")).put("content", "");
                events.add(chatChunk(completion, index, first));
                for (String field : TEXT_FIELDS) {
                    if (message.hasNonNull(field) && !message.get(field).asText().isEmpty()) {
                        events.add(chatChunk(completion, index, json.createObjectNode().put(field, message.get(field).asText())));
                    }
                }
                JsonNode calls = message.path("tool_calls");
                if (calls.isArray() && !calls.isEmpty()) {
                    ObjectNode delta = json.createObjectNode();
                    ArrayNode deltas = delta.putArray("tool_calls");
                    for (int i = 0; i < calls.size(); i++) {
                        deltas.add(json.createObjectNode().put("index", i).setAll((ObjectNode) calls.get(i).deepCopy()));
                    }
                    events.add(chatChunk(completion, index, delta));
                }
            } else {
                ObjectNode chunk = envelope(completion, false);
                chunk.putArray("choices").addObject().put("text", choice.path("text").asText("")).put("index", index)
                        .putNull("logprobs").putNull("finish_reason");
                events.add(SseEvent.ofJson(chunk.toString(), SseEvent.Kind.CHUNK));
            }
            ObjectNode last = envelope(completion, chat);
            ObjectNode finish = last.putArray("choices").addObject().put("index", index);
            if (chat) {
                finish.putObject("delta");
            } else {
                finish.put("text", "");
            }
            finish.putNull("logprobs").put("finish_reason", choice.path("finish_reason").asText("stop"));
            events.add(SseEvent.ofJson(last.toString(), SseEvent.Kind.CHUNK));
        }
        if (includeUsage && completion.hasNonNull("usage")) {
            ObjectNode usage = envelope(completion, chat);
            usage.putArray("choices");
            usage.set("usage", completion.get("usage"));
            events.add(SseEvent.ofJson(usage.toString(), SseEvent.Kind.USAGE));
        }
        events.add(SseEvent.DONE_EVENT);
        return events;
    }

    private SseEvent chatChunk(JsonNode completion, int index, ObjectNode delta) {
        ObjectNode chunk = envelope(completion, true);
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", index);
        choice.set("delta", delta);
        choice.putNull("logprobs").putNull("finish_reason");
        return SseEvent.ofJson(chunk.toString(), SseEvent.Kind.CHUNK);
    }

    private ObjectNode envelope(JsonNode completion, boolean chat) {
        ObjectNode chunk = json.createObjectNode();
        chunk.set("id", completion.path("id").isMissingNode() ? json.nullNode() : completion.get("id"));
        chunk.put("object", chat ? "chat.completion.chunk" : "text_completion");
        chunk.set("created", completion.path("created").isMissingNode() ? json.getNodeFactory().numberNode(0) : completion.get("created"));
        chunk.set("model", completion.path("model").isMissingNode() ? json.nullNode() : completion.get("model"));
        if (completion.hasNonNull("system_fingerprint")) {
            chunk.set("system_fingerprint", completion.get("system_fingerprint"));
        }
        return chunk;
    }
}
