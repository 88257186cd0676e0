package io.strata.semantic;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The splitters of the endpoints the semantic layer serves: chat completions (the last message,
 * if it is the user's) and the Responses API (a string {@code input}, or its last item if it is a
 * user message). Only plain text qualifies: a final turn with an image, a file or a tool result is
 * never compared by meaning.
 */
public final class FinalTurns {

    /** Endpoint id (as in keys and history) to its splitter. */
    private static final Map<String, FinalTurnSplitter> BY_ENDPOINT = Map.of(
            "chat.completions", FinalTurns::chat,
            "responses", FinalTurns::responses);

    private FinalTurns() {
    }

    /** The splitter of an endpoint, or null when the semantic layer does not serve it. */
    public static FinalTurnSplitter forEndpoint(String endpointId) {
        return BY_ENDPOINT.get(endpointId);
    }

    static FinalTurn chat(JsonNode body) {
        if (body == null || !(body.get("messages") instanceof ArrayNode messages) || messages.isEmpty()) {
            return null;
        }
        JsonNode last = messages.get(messages.size() - 1);
        if (!last.isObject() || !"user".equals(last.path("role").asText(null))) {
            return null;
        }
        String text = textOf(last.get("content"), "text");
        if (text == null) {
            return null;
        }
        ObjectNode context = (ObjectNode) body.deepCopy();
        ((ObjectNode) context.withArray("messages").get(messages.size() - 1)).remove("content");
        return new FinalTurn(context, text);
    }

    static FinalTurn responses(JsonNode body) {
        if (body == null || !body.isObject()) {
            return null;
        }
        JsonNode input = body.get("input");
        if (input != null && input.isTextual()) {
            ObjectNode context = (ObjectNode) body.deepCopy();
            context.remove("input");
            context.put("input", ""); // a string input: its place is kept, so an array input never shares the context
            return new FinalTurn(context, input.textValue());
        }
        if (!(input instanceof ArrayNode items) || items.isEmpty()) {
            return null;
        }
        JsonNode last = items.get(items.size() - 1);
        String type = last.path("type").asText("message");
        if (!last.isObject() || !type.equals("message") || !"user".equals(last.path("role").asText(null))) {
            return null;
        }
        String text = textOf(last.get("content"), "input_text");
        if (text == null) {
            return null;
        }
        ObjectNode context = (ObjectNode) body.deepCopy();
        ((ObjectNode) context.withArray("input").get(items.size() - 1)).remove("content");
        return new FinalTurn(context, text);
    }

    /** A string, or an array made only of text parts (joined by new lines); null for anything else. */
    private static String textOf(JsonNode content, String textPartType) {
        if (content == null) {
            return null;
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        if (!content.isArray() || content.isEmpty()) {
            return null;
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            if (!part.isObject() || !textPartType.equals(part.path("type").asText(null)) || !part.path("text").isTextual()) {
                return null;
            }
            if (!text.isEmpty()) {
                text.append('\n');
            }
            text.append(part.get("text").textValue());
        }
        return text.toString();
    }
}
