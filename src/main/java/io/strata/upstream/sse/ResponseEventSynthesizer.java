package io.strata.upstream.sse;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Turns a non-streamed /v1/responses answer into the events a streamed call would have sent, in
 * the order the official SDKs assemble: {@code response.created}, {@code response.in_progress},
 * then per output item its {@code added} event, the deltas of its text, refusal, function-call
 * arguments or reasoning summary, their {@code done} events and the item's {@code done} event,
 * and last {@code response.completed} (or {@code incomplete}/{@code failed}) with the whole
 * response, usage included. Each delta carries the whole text: one delta per part.
 */
public final class ResponseEventSynthesizer {

    private final ObjectMapper json;
    private final boolean wordByWord;

    public ResponseEventSynthesizer(ObjectMapper json) {
        this(json, false);
    }

    private ResponseEventSynthesizer(ObjectMapper json, boolean wordByWord) {
        this.json = json;
        this.wordByWord = wordByWord;
    }

    /** A synthesiser that sends output text one word per delta, as a provider streams it. */
    public static ResponseEventSynthesizer wordByWord(ObjectMapper json) {
        return new ResponseEventSynthesizer(json, true);
    }

    public List<SseEvent> events(JsonNode response) {
        Events out = new Events();
        ObjectNode starting = ((ObjectNode) response).deepCopy();
        starting.put("status", "in_progress");
        starting.putArray("output");
        starting.putNull("usage");
        starting.remove("completed_at");
        starting.putNull("incomplete_details");
        out.add("response.created", json.createObjectNode().set("response", starting));
        out.add("response.in_progress", json.createObjectNode().set("response", starting));
        JsonNode output = response.path("output");
        for (int index = 0; index < output.size(); index++) {
            item(out, index, output.get(index));
        }
        String status = response.path("status").asText("completed");
        String terminal = switch (status) {
            case "incomplete" -> "response.incomplete";
            case "failed" -> "response.failed";
            default -> "response.completed";
        };
        out.add(terminal, json.createObjectNode().set("response", response));
        return out.events;
    }

    private void item(Events out, int index, JsonNode item) {
        String itemId = item.path("id").asText("");
        String type = item.path("type").asText("");
        ObjectNode added = ((ObjectNode) item).deepCopy();
        if (added.has("status")) {
            added.put("status", "in_progress");
        }
        switch (type) {
            case "message" -> added.putArray("content");
            case "function_call", "custom_tool_call" -> added.put(type.equals("function_call") ? "arguments" : "input", "");
            case "reasoning" -> {
                added.putArray("summary");
                if (added.has("content")) {
                    added.putArray("content");
                }
            }
            default -> {
            }
        }
        out.add("response.output_item.added", position(index).set("item", added));
        switch (type) {
            case "message" -> messageParts(out, index, itemId, item.path("content"));
            case "function_call" -> {
                String arguments = item.path("arguments").asText("");
                out.add("response.function_call_arguments.delta", position(index).put("item_id", itemId).put("delta", arguments));
                out.add("response.function_call_arguments.done", position(index).put("item_id", itemId)
                        .put("name", item.path("name").asText(null)).put("arguments", arguments));
            }
            case "custom_tool_call" -> {
                String input = item.path("input").asText("");
                out.add("response.custom_tool_call_input.delta", position(index).put("item_id", itemId).put("delta", input));
                out.add("response.custom_tool_call_input.done", position(index).put("item_id", itemId).put("input", input));
            }
            case "reasoning" -> reasoning(out, index, itemId, item);
            default -> {
            }
        }
        out.add("response.output_item.done", position(index).set("item", item));
    }

    private void messageParts(Events out, int index, String itemId, JsonNode content) {
        for (int part = 0; part < content.size(); part++) {
            JsonNode whole = content.get(part);
            String partType = whole.path("type").asText("");
            ObjectNode empty = ((ObjectNode) whole).deepCopy();
            if (partType.equals("refusal")) {
                empty.put("refusal", "");
            } else {
                empty.put("text", "");
                if (empty.has("annotations")) {
                    empty.putArray("annotations");
                }
            }
            out.add("response.content_part.added", part(index, itemId, part).set("part", empty));
            if (partType.equals("refusal")) {
                String refusal = whole.path("refusal").asText("");
                out.add("response.refusal.delta", part(index, itemId, part).put("delta", refusal));
                out.add("response.refusal.done", part(index, itemId, part).put("refusal", refusal));
            } else if (partType.equals("output_text")) {
                String text = whole.path("text").asText("");
                for (String piece : wordByWord ? text.split("(?<= )") : new String[]{text}) {
                    ObjectNode delta = part(index, itemId, part).put("delta", piece);
                    delta.putArray("logprobs");
                    out.add("response.output_text.delta", delta);
                }
                JsonNode annotations = whole.path("annotations");
                for (int a = 0; a < annotations.size(); a++) {
                    out.add("response.output_text.annotation.added", part(index, itemId, part).put("annotation_index", a)
                            .set("annotation", annotations.get(a)));
                }
                ObjectNode done = part(index, itemId, part).put("text", text);
                done.set("logprobs", whole.has("logprobs") ? whole.get("logprobs") : json.createArrayNode());
                out.add("response.output_text.done", done);
            }
            out.add("response.content_part.done", part(index, itemId, part).set("part", whole));
        }
    }

    private void reasoning(Events out, int index, String itemId, JsonNode item) {
        JsonNode summary = item.path("summary");
        for (int s = 0; s < summary.size(); s++) {
            JsonNode whole = summary.get(s);
            String text = whole.path("text").asText("");
            ObjectNode empty = ((ObjectNode) whole).deepCopy().put("text", "");
            out.add("response.reasoning_summary_part.added", position(index).put("item_id", itemId).put("summary_index", s)
                    .set("part", empty));
            out.add("response.reasoning_summary_text.delta", position(index).put("item_id", itemId).put("summary_index", s)
                    .put("delta", text));
            out.add("response.reasoning_summary_text.done", position(index).put("item_id", itemId).put("summary_index", s)
                    .put("text", text));
            out.add("response.reasoning_summary_part.done", position(index).put("item_id", itemId).put("summary_index", s)
                    .set("part", whole));
        }
        JsonNode content = item.path("content");
        for (int c = 0; c < content.size(); c++) {
            String text = content.get(c).path("text").asText("");
            out.add("response.reasoning_text.delta", part(index, itemId, c).put("delta", text));
            out.add("response.reasoning_text.done", part(index, itemId, c).put("text", text));
        }
    }

    private ObjectNode position(int outputIndex) {
        return json.createObjectNode().put("output_index", outputIndex);
    }

    private ObjectNode part(int outputIndex, String itemId, int contentIndex) {
        return json.createObjectNode().put("item_id", itemId).put("output_index", outputIndex).put("content_index", contentIndex);
    }

    /** The events so far, numbered in order. */
    private final class Events {
        private final List<SseEvent> events = new ArrayList<>();

        void add(String type, JsonNode fields) {
            ObjectNode event = json.createObjectNode().put("type", type);
            event.setAll((ObjectNode) fields);
            event.put("sequence_number", events.size());
            events.add(SseEvent.named(type, event.toString()));
        }
    }
}
