package io.strata.upstream;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What the mock provider answers one request with, whatever the API: a call of one of the
 * request's tools (when it offers tools and the last thing it sent is not a tool's result),
 * else text — the tool's result woven in when there is one, JSON that validates against the
 * requested schema for structured output.
 *
 * @param text          the answer's text, or null for a tool call
 * @param toolName      the tool called, or null for text
 * @param toolArguments the call's arguments (JSON text that validates against the tool's parameters)
 */
record MockReply(String text, String toolName, String toolArguments) {

    boolean isToolCall() {
        return toolName != null;
    }

    /**
     * @param tools        the offered tools as {@code {"name","parameters"}} objects, or empty
     * @param toolChoice   the request's {@code tool_choice}: "none", "auto", "required", or an object naming a tool
     * @param toolResult   the content of the last message when it is a tool's result, else null
     * @param format       the requested output format ({@code {"type":"json_schema","schema":…}} or {@code json_object}), or null
     * @param plainText    the text a plain answer would have
     */
    static MockReply decide(ObjectMapper json, Iterable<JsonNode> tools, JsonNode toolChoice, String toolResult, JsonNode format,
            String plainText) {
        if (toolResult == null && !"none".equals(toolChoice == null ? null : toolChoice.asText(null))) {
            JsonNode tool = chosen(tools, toolChoice);
            if (tool != null) {
                return new MockReply(null, tool.path("name").asText(), write(json, SchemaExample.of(parameters(json, tool), json)));
            }
        }
        String text = toolResult == null ? plainText : plainText + " (the tool returned: " + toolResult + ")";
        String type = format == null ? "text" : format.path("type").asText("text");
        return switch (type) {
            case "json_schema" -> new MockReply(write(json, SchemaExample.of(format.path("schema"), json)), null, null);
            case "json_object" -> new MockReply(write(json, json.createObjectNode().put("answer", text)), null, null);
            default -> new MockReply(text, null, null);
        };
    }

    /** The named tool when the choice names one, else the first. */
    private static JsonNode chosen(Iterable<JsonNode> tools, JsonNode toolChoice) {
        String named = toolChoice != null && toolChoice.isObject()
                ? toolChoice.path("name").asText(toolChoice.path("function").path("name").asText(null))
                : null;
        JsonNode first = null;
        for (JsonNode tool : tools) {
            if (named != null && named.equals(tool.path("name").asText())) {
                return tool;
            }
            first = first == null ? tool : first;
        }
        return first;
    }

    private static JsonNode parameters(ObjectMapper json, JsonNode tool) {
        JsonNode parameters = tool.get("parameters");
        return parameters != null && parameters.isObject() ? parameters : json.createObjectNode().put("type", "object");
    }

    private static String write(ObjectMapper json, JsonNode value) {
        try {
            return json.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
