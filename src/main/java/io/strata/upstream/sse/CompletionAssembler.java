package io.strata.upstream.sse;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Builds the completion object a non-streamed call would have answered from the chunks of a
 * streamed one: content, refusal, reasoning and tool-call deltas joined per choice, the finish
 * reasons, and the usage chunk. Not thread-safe: one per stream.
 */
public final class CompletionAssembler implements StreamAssembler {

    private static final String[] TOP_LEVEL = {"id", "created", "model", "system_fingerprint", "service_tier"};
    private static final String[] TEXT_DELTAS = {"content", "refusal", "reasoning_content", "reasoning"};

    private final ObjectMapper json;
    private final boolean chat;
    private final ObjectNode top;
    private final Map<Integer, Choice> choices = new TreeMap<>();
    private JsonNode usage;
    private boolean done;
    private boolean broken;

    public CompletionAssembler(ObjectMapper json, boolean chat) {
        this.json = json;
        this.chat = chat;
        this.top = json.createObjectNode();
    }

    @Override
    public void accept(SseEvent event) {
        switch (event.kind()) {
            case DONE -> done = true;
            case ERROR -> broken = true;
            case CHUNK, USAGE -> chunk(event.data());
            default -> {
            }
        }
    }

    /** [DONE] after at least one choice, every choice finished. */
    @Override
    public boolean complete() {
        return done && !broken && !choices.isEmpty() && choices.values().stream().allMatch(c -> c.finishReason != null);
    }

    private void chunk(String data) {
        JsonNode chunk;
        try {
            chunk = json.readTree(data);
        } catch (IOException e) {
            broken = true;
            return;
        }
        for (String field : TOP_LEVEL) {
            JsonNode value = chunk.get(field);
            if (value != null && !value.isNull() && !top.has(field)) {
                top.set(field, value);
            }
        }
        JsonNode chunkUsage = chunk.get("usage");
        if (chunkUsage != null && chunkUsage.isObject()) {
            usage = chunkUsage;
        }
        for (JsonNode choice : chunk.path("choices")) {
            choices.computeIfAbsent(choice.path("index").asInt(0), i -> new Choice()).add(choice, chat);
        }
    }

    @Override
    public ObjectNode assemble() {
        ObjectNode answer = json.createObjectNode();
        answer.set("id", top.path("id").isMissingNode() ? json.nullNode() : top.get("id"));
        answer.put("object", chat ? "chat.completion" : "text_completion");
        answer.set("created", top.path("created").isMissingNode() ? json.getNodeFactory().numberNode(0L) : top.get("created"));
        answer.set("model", top.path("model").isMissingNode() ? json.nullNode() : top.get("model"));
        ArrayNode list = answer.putArray("choices");
        choices.forEach((index, choice) -> list.add(choice.toJson(index, chat)));
        if (usage != null) {
            answer.set("usage", usage);
        }
        for (String field : new String[]{"system_fingerprint", "service_tier"}) {
            if (top.has(field)) {
                answer.set(field, top.get(field));
            }
        }
        return answer;
    }

    /** One choice being assembled. */
    private final class Choice {
        private String role;
        private final Map<String, StringBuilder> text = new TreeMap<>();
        private final Map<Integer, ObjectNode> toolCalls = new TreeMap<>();
        private final Map<Integer, StringBuilder> toolArguments = new TreeMap<>();
        private ArrayNode logprobs;
        private String finishReason;

        void add(JsonNode choice, boolean chat) {
            if (chat) {
                JsonNode delta = choice.path("delta");
                if (delta.hasNonNull("role")) {
                    role = delta.get("role").asText();
                }
                for (String field : TEXT_DELTAS) {
                    if (delta.hasNonNull(field)) {
                        text.computeIfAbsent(field, f -> new StringBuilder()).append(delta.get(field).asText());
                    }
                }
                for (JsonNode call : delta.path("tool_calls")) {
                    int index = call.path("index").asInt(0);
                    ObjectNode merged = toolCalls.computeIfAbsent(index, i -> json.createObjectNode());
                    copyIfPresent(call, merged, "id");
                    copyIfPresent(call, merged, "type");
                    JsonNode function = call.path("function");
                    if (function.hasNonNull("name")) {
                        merged.with("function").put("name", function.get("name").asText());
                    }
                    if (function.hasNonNull("arguments")) {
                        toolArguments.computeIfAbsent(index, i -> new StringBuilder()).append(function.get("arguments").asText());
                    }
                }
            } else if (choice.hasNonNull("text")) {
                text.computeIfAbsent("text", f -> new StringBuilder()).append(choice.get("text").asText());
            }
            JsonNode content = choice.path("logprobs").path("content");
            if (content.isArray()) {
                if (logprobs == null) {
                    logprobs = json.createArrayNode();
                }
                logprobs.addAll((ArrayNode) content);
            }
            if (choice.hasNonNull("finish_reason")) {
                finishReason = choice.get("finish_reason").asText();
            }
        }

        ObjectNode toJson(int index, boolean chat) {
            ObjectNode out = json.createObjectNode().put("index", index);
            if (chat) {
                ObjectNode message = out.putObject("message").put("role", role == null ? "assistant" : role);
                message.put("content", text.containsKey("content") ? text.get("content").toString() : null);
                message.put("refusal", text.containsKey("refusal") ? text.get("refusal").toString() : null);
                for (String field : new String[]{"reasoning_content", "reasoning"}) {
                    if (text.containsKey(field)) {
                        message.put(field, text.get(field).toString());
                    }
                }
                if (!toolCalls.isEmpty()) {
                    ArrayNode calls = message.putArray("tool_calls");
                    for (Iterator<Map.Entry<Integer, ObjectNode>> it = toolCalls.entrySet().iterator(); it.hasNext();) {
                        Map.Entry<Integer, ObjectNode> call = it.next();
                        ObjectNode function = call.getValue().with("function");
                        StringBuilder arguments = toolArguments.get(call.getKey());
                        function.put("arguments", arguments == null ? "" : arguments.toString());
                        if (!call.getValue().has("type")) {
                            call.getValue().put("type", "function");
                        }
                        calls.add(call.getValue());
                    }
                }
            } else {
                out.put("text", text.containsKey("text") ? text.get("text").toString() : "");
            }
            if (logprobs != null) {
                out.putObject("logprobs").set("content", logprobs);
            } else {
                out.putNull("logprobs");
            }
            out.put("finish_reason", finishReason);
            return out;
        }

        private void copyIfPresent(JsonNode from, ObjectNode to, String field) {
            if (from.hasNonNull(field)) {
                to.set(field, from.get(field));
            }
        }
    }
}
