package io.strata.upstream;

import java.util.Iterator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A value that validates against a JSON schema, the same every time: the first of an enum or
 * anyOf, every property of an object, the fewest items an array allows, numbers at their lower
 * bound, strings in their format. Enough for the mock provider's structured outputs and tool
 * arguments; {@code pattern} is not honoured.
 */
final class SchemaExample {

    private static final int MAX_DEPTH = 12;

    private final ObjectMapper json;
    private final JsonNode root;

    private SchemaExample(ObjectMapper json, JsonNode root) {
        this.json = json;
        this.root = root;
    }

    static JsonNode of(JsonNode schema, ObjectMapper json) {
        return new SchemaExample(json, schema).value(schema, "value", 0);
    }

    private JsonNode value(JsonNode schema, String name, int depth) {
        if (schema == null || !schema.isObject() || depth > MAX_DEPTH) {
            return json.getNodeFactory().textNode("mock");
        }
        if (schema.hasNonNull("$ref")) {
            String ref = schema.get("$ref").asText();
            return value(ref.startsWith("#") ? root.at(ref.substring(1)) : null, name, depth + 1);
        }
        if (schema.has("const")) {
            return schema.get("const");
        }
        if (schema.path("enum").isArray() && !schema.get("enum").isEmpty()) {
            return schema.get("enum").get(0);
        }
        for (String choice : new String[]{"anyOf", "oneOf", "allOf"}) {
            JsonNode options = schema.path(choice);
            if (options.isArray() && !options.isEmpty()) {
                return value(firstNotNull(options), name, depth + 1);
            }
        }
        String type = typeOf(schema);
        return switch (type) {
            case "object" -> object(schema, depth);
            case "array" -> array(schema, name, depth);
            case "integer" -> json.getNodeFactory().numberNode((long) Math.ceil(lowerBound(schema)));
            case "number" -> json.getNodeFactory().numberNode(lowerBound(schema));
            case "boolean" -> json.getNodeFactory().booleanNode(true);
            case "null" -> json.nullNode();
            default -> json.getNodeFactory().textNode(string(schema, name));
        };
    }

    private ObjectNode object(JsonNode schema, int depth) {
        ObjectNode object = json.createObjectNode();
        JsonNode properties = schema.path("properties");
        for (Iterator<String> names = properties.fieldNames(); names.hasNext();) {
            String property = names.next();
            object.set(property, value(properties.get(property), property, depth + 1));
        }
        return object;
    }

    private ArrayNode array(JsonNode schema, String name, int depth) {
        ArrayNode array = json.createArrayNode();
        int count = Math.max(1, schema.path("minItems").asInt(1));
        if (schema.has("maxItems")) {
            count = Math.min(count, schema.get("maxItems").asInt());
        }
        for (int i = 0; i < count; i++) {
            array.add(value(schema.get("items"), name, depth + 1));
        }
        return array;
    }

    private static String typeOf(JsonNode schema) {
        JsonNode type = schema.get("type");
        if (type != null && type.isArray()) {
            for (JsonNode option : type) {
                if (!"null".equals(option.asText())) {
                    return option.asText();
                }
            }
            return "null";
        }
        if (type != null && type.isTextual()) {
            return type.textValue();
        }
        return schema.has("properties") ? "object" : schema.has("items") ? "array" : "string";
    }

    private static JsonNode firstNotNull(JsonNode options) {
        for (JsonNode option : options) {
            if (!"null".equals(option.path("type").asText())) {
                return option;
            }
        }
        return options.get(0);
    }

    private static double lowerBound(JsonNode schema) {
        if (schema.has("minimum")) {
            return schema.get("minimum").asDouble();
        }
        if (schema.has("exclusiveMinimum") && schema.get("exclusiveMinimum").isNumber()) {
            return schema.get("exclusiveMinimum").asDouble() + 1;
        }
        return schema.has("maximum") ? Math.min(1, schema.get("maximum").asDouble()) : 1;
    }

    private static String string(JsonNode schema, String name) {
        String value = switch (schema.path("format").asText("")) {
            case "date-time" -> "2024-01-01T00:00:00Z";
            case "date" -> "2024-01-01";
            case "time" -> "00:00:00Z";
            case "email" -> "mock@example.com";
            case "uri", "url" -> "https://example.com/mock";
            case "uuid" -> "00000000-0000-4000-8000-000000000000";
            default -> "mock " + name;
        };
        int min = schema.path("minLength").asInt(0);
        StringBuilder padded = new StringBuilder(value);
        while (padded.length() < min) {
            padded.append('x');
        }
        int max = schema.path("maxLength").asInt(Integer.MAX_VALUE);
        return padded.length() > max ? padded.substring(0, max) : padded.toString();
    }
}
