package io.strata.proxy;

import java.io.IOException;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import io.strata.core.StrataException;

/**
 * Parses a request body once (numbers as exact decimals, so 1 and 1.0 can be compared) and checks
 * the fields Strata relies on, and nothing else: a value the provider may accept is the provider's
 * to judge. A body must be strict UTF-8 (JSON is), which the JSON parser alone does not check.
 */
@Singleton
public class RequestBodyParser {

    private final ObjectReader reader;

    public RequestBodyParser(ObjectMapper mapper) {
        this.reader = mapper.reader()
                .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    /** @throws StrataException 400 invalid_json or invalid_request */
    public JsonNode parse(Endpoint endpoint, byte[] body) {
        int invalid = body == null ? -1 : Utf8.invalidAt(body);
        if (invalid >= 0) {
            throw StrataException.invalidRequest("invalid_json", null,
                    "The request body is not valid UTF-8 (overlong, surrogate or truncated sequence at byte " + invalid + ").");
        }
        JsonNode json;
        try {
            json = body == null || body.length == 0 ? null : reader.readTree(body);
        } catch (IOException e) {
            throw StrataException.invalidRequest("invalid_json", null,
                    "We could not parse the JSON body of your request: " + firstLine(e.getMessage()));
        }
        if (json == null || !json.isObject()) {
            throw StrataException.invalidRequest("invalid_json", null, "The request body must be a JSON object.");
        }
        // a Responses request may name a stored prompt instead of a model
        requireType(json, "model", JsonNode::isTextual, "a string", endpoint != Endpoint.RESPONSES);
        switch (endpoint) {
            case CHAT_COMPLETIONS -> requireType(json, "messages", JsonNode::isArray, "an array", true);
            case COMPLETIONS -> requireType(json, "prompt", n -> n.isTextual() || n.isArray(), "a string or an array", false);
            case EMBEDDINGS -> requireType(json, "input", n -> n.isTextual() || n.isArray(), "a string or an array", true);
            case RESPONSES -> {
                requireType(json, "input", n -> n.isTextual() || n.isArray(), "a string or an array", false);
                requireType(json, "instructions", JsonNode::isTextual, "a string", false);
                requireType(json, "background", JsonNode::isBoolean, "a boolean", false);
                requireType(json, "max_output_tokens", JsonNode::isIntegralNumber, "an integer", false);
            }
            default -> {
            }
        }
        // Only what Strata itself reads (the prompt fields for continuation and history, stream for the
        // kind of answer): sampling parameters are the provider's to judge (20.0 is an integer to it).
        requireType(json, "stream", JsonNode::isBoolean, "a boolean", false);
        return json;
    }

    /** The body as JSON when it is a JSON object, else null (pass-through bodies may be anything). */
    public JsonNode parseIfJson(byte[] body) {
        if (body == null || body.length == 0 || body[0] != '{') {
            return null;
        }
        try {
            JsonNode json = reader.readTree(body);
            return json != null && json.isObject() ? json : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static void requireType(JsonNode json, String field, java.util.function.Predicate<JsonNode> ok, String expected,
            boolean required) {
        JsonNode value = json.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw StrataException.invalidRequest("invalid_request", field, "Missing required parameter: '" + field + "'.");
            }
            return;
        }
        if (!ok.test(value)) {
            throw StrataException.invalidRequest("invalid_request", field,
                    "Invalid type for '" + field + "': expected " + expected + ".");
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "malformed JSON";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
