package io.strata.history;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Reads what a record holds as the API shows it: the prompt (the request's messages, prompt or
 * input) and the parameters (every other field) out of the request body, the messages as sent,
 * the response; opening sealed content, and reading rows written before bodies were kept as
 * bytes. Nothing of this runs on the request path.
 */
@Singleton
public class RecordContent {

    /** The endpoint whose prompt is its instructions and input items. */
    static final String RESPONSES = "responses";

    /** Fields of a request that are not sampling parameters. */
    static final Set<String> NOT_PARAMETERS = Set.of("messages", "prompt", "input", "instructions", "model", "stream",
            "stream_options", "user", "metadata", "store");

    /** What a record shows; {@code unavailable} when sealed content could not be opened. */
    public record Shown(JsonNode prompt, JsonNode promptSent, JsonNode response, JsonNode parameters, boolean unavailable) {
    }

    private final ObjectMapper json;
    private final HistorySealer sealer;

    public RecordContent(ObjectMapper json, HistorySealer sealer) {
        this.json = json;
        this.sealer = sealer;
    }

    Shown of(StoredRecord r) {
        if (r.sealed() != null) {
            return opened(r.endpoint(), r.sealed(), r.keyId(), r.parameters());
        }
        if (r.request() != null || r.parametersBody() != null || r.responseBody() != null || r.sentMessages() != null) {
            return fromBodies(r.endpoint(), new RecordBodies(r.request(), r.parametersBody(), r.sentMessages(), r.responseBody()));
        }
        return new Shown(parse(r.prompt()), parse(r.promptSent()), parse(r.response()), parse(r.parameters()), false);
    }

    Shown of(HistoryRecord r) {
        return r.sealed() != null ? opened(r.endpoint(), r.sealed(), r.keyId(), null) : fromBodies(r.endpoint(), r.bodies());
    }

    private Shown opened(String endpoint, byte[] sealed, String keyId, String legacyParameters) {
        byte[] content;
        try {
            if (sealer.get() == null) {
                throw new IllegalStateException("history encryption is off");
            }
            content = sealer.get().open(keyId, sealed);
        } catch (RuntimeException e) {
            return new Shown(null, null, null, parse(legacyParameters), true);
        }
        RecordBodies bodies = RecordBodies.unpack(content);
        if (bodies != null) {
            return fromBodies(endpoint, bodies);
        }
        JsonNode legacy = parse(content); // sealed before bodies were kept as bytes: {"prompt","prompt_sent","response"}
        return new Shown(legacy.get("prompt"), legacy.get("prompt_sent"), legacy.get("response"), parse(legacyParameters), false);
    }

    private Shown fromBodies(String endpoint, RecordBodies bodies) {
        JsonNode request = parse(bodies.request());
        JsonNode parameters = bodies.parameters() != null ? parse(bodies.parameters()) : parametersOf(request);
        return new Shown(promptOf(endpoint, request), parse(bodies.sentMessages()), parse(bodies.response()), parameters, false);
    }

    /**
     * The request's messages (chat), prompt (completions), input (embeddings), or instructions
     * and input items (responses: the instructions as a system message first, a string input as a
     * user message); the whole body otherwise.
     */
    public static JsonNode promptOf(String endpoint, JsonNode request) {
        if (request == null || !request.isObject()) {
            return request;
        }
        if (RESPONSES.equals(endpoint)) {
            return responsesPrompt(request);
        }
        for (String field : new String[]{"messages", "prompt", "input"}) {
            if (request.has(field)) {
                return request.get(field);
            }
        }
        return request;
    }

    private static ArrayNode responsesPrompt(JsonNode request) {
        ArrayNode items = JsonNodeFactory.instance.arrayNode();
        JsonNode instructions = request.get("instructions");
        if (instructions != null && instructions.isTextual()) {
            items.addObject().put("role", "system").put("content", instructions.textValue());
        }
        JsonNode input = request.get("input");
        if (input != null && input.isTextual()) {
            items.addObject().put("role", "user").put("content", input.textValue());
        } else if (input != null && input.isArray()) {
            items.addAll((ArrayNode) input);
        }
        return items;
    }

    ObjectNode parametersOf(JsonNode request) {
        if (request == null || !request.isObject()) {
            return null;
        }
        ObjectNode parameters = json.createObjectNode();
        request.fields().forEachRemaining(field -> {
            if (!NOT_PARAMETERS.contains(field.getKey())) {
                parameters.set(field.getKey(), field.getValue());
            }
        });
        return parameters;
    }

    private JsonNode parse(String text) {
        return text == null ? null : parse(text.getBytes(StandardCharsets.UTF_8));
    }

    /** JSON as it is; anything else (a refused body that was not JSON) as a string. */
    JsonNode parse(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            JsonNode node = json.readTree(bytes);
            return node == null ? json.getNodeFactory().textNode("") : node;
        } catch (IOException e) {
            return json.getNodeFactory().textNode(new String(bytes, StandardCharsets.UTF_8));
        }
    }
}
