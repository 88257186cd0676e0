package io.strata.upstream.sse;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Builds the response object of a streamed /v1/responses call. The terminal event
 * ({@code response.completed}, {@code response.incomplete} or {@code response.failed}) carries
 * the whole response; the items of {@code response.output_item.done} fill its output when a
 * provider leaves it empty there. An {@code error} event, or a stream without a terminal event,
 * is broken. Not thread-safe: one per stream.
 */
public final class ResponseAssembler implements StreamAssembler {

    private final ObjectMapper json;
    private final Map<Integer, JsonNode> doneItems = new TreeMap<>();
    private JsonNode latest;
    private JsonNode terminal;
    private boolean broken;

    public ResponseAssembler(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public void accept(SseEvent event) {
        if (event.kind() == SseEvent.Kind.ERROR) {
            broken = true;
            return;
        }
        if (event.data() == null || event.kind() == SseEvent.Kind.DONE) {
            return;
        }
        JsonNode data;
        try {
            data = json.readTree(event.data());
        } catch (IOException e) {
            broken = true;
            return;
        }
        String type = data.path("type").asText("");
        switch (type) {
            case "error" -> broken = true;
            case "response.output_item.done" -> doneItems.put(data.path("output_index").asInt(doneItems.size()), data.path("item"));
            case "response.completed", "response.incomplete", "response.failed" -> {
                terminal = data.path("response");
                latest = terminal;
            }
            default -> {
                if (data.path("response").isObject()) {
                    latest = data.get("response");
                }
            }
        }
    }

    @Override
    public boolean complete() {
        return !broken && terminal != null && terminal.isObject();
    }

    @Override
    public ObjectNode assemble() {
        ObjectNode response = latest != null && latest.isObject() ? ((ObjectNode) latest).deepCopy() : json.createObjectNode();
        JsonNode output = response.get("output");
        if ((output == null || !output.isArray() || output.isEmpty()) && !doneItems.isEmpty()) {
            ArrayNode items = response.putArray("output");
            doneItems.values().forEach(items::add);
        }
        return response;
    }
}
