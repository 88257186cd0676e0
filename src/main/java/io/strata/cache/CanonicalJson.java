package io.strata.cache;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Writes the canonical form of a request body that the cache key is hashed from: keys sorted,
 * no insignificant white space, every number in one form (1 and 1.0 are equal), top-level fields
 * that cannot change the answer left out, and prompt text normalised (see {@link TextNormalizer}).
 */
final class CanonicalJson {

    /**
     * Top-level request fields that cannot change the answer: how it is delivered, who asked,
     * labels, and provider-side routing (prompt-cache bucket, abuse-monitoring id, priority tier).
     */
    static final Set<String> EXCLUDED_FIELDS = Set.of("stream", "stream_options", "user", "metadata", "store",
            "safety_identifier", "prompt_cache_key", "service_tier");

    /** The endpoint whose {@code store: false} stays in the key. */
    private static final String RESPONSES = "responses";

    private final TextNormalizer text;

    CanonicalJson(TextNormalizer text) {
        this.text = text;
    }

    /** The canonical form as text (tests and debugging; the key path writes bytes). */
    String write(String endpoint, JsonNode root) {
        CanonicalSink out = new CanonicalSink();
        write(endpoint, root, out);
        return out.toString();
    }

    /** Writes the canonical form's UTF-8 bytes into the sink, without building a string. */
    void write(String endpoint, JsonNode root, CanonicalSink out) {
        if (root.isObject()) {
            writeObject(root, out, Where.ROOT, RESPONSES.equals(endpoint));
        } else {
            writeValue(root, out, Where.OTHER);
        }
    }

    /**
     * Whether a top-level field stays out of the key. On /v1/responses {@code store: false} stays
     * in: the provider keeps no response made so, and a client served its id could not continue
     * from it with {@code previous_response_id}; {@code store: true} is the default there, as absent.
     */
    private static boolean excluded(String name, JsonNode value, boolean responses) {
        if (!EXCLUDED_FIELDS.contains(name)) {
            return false;
        }
        return !(responses && name.equals("store") && value.isBoolean() && !value.booleanValue());
    }

    /** Where a value sits, as far as text normalisation cares. */
    private enum Where {
        ROOT, MESSAGES, MESSAGE, CONTENT, CONTENT_PARTS, CONTENT_PART, PROMPT_TEXT, PROMPT_ITEMS, OTHER
    }

    private void writeObject(JsonNode node, CanonicalSink out, Where where) {
        writeObject(node, out, where, false);
    }

    private void writeObject(JsonNode node, CanonicalSink out, Where where, boolean responses) {
        List<String> names = new ArrayList<>(node.size());
        for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
            String name = it.next();
            if (where != Where.ROOT || !excluded(name, node.get(name), responses)) {
                names.add(name);
            }
        }
        Collections.sort(names);
        out.ascii('{');
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (i > 0) {
                out.ascii(',');
            }
            writeString(name, out);
            out.ascii(':');
            writeValue(node.get(name), out, childOf(where, name));
        }
        out.ascii('}');
    }

    private static Where childOf(Where parent, String field) {
        return switch (parent) {
            case ROOT -> switch (field) {
                case "messages" -> Where.MESSAGES;
                case "prompt", "input", "instructions" -> Where.PROMPT_TEXT;
                default -> Where.OTHER;
            };
            case MESSAGE -> "content".equals(field) ? Where.CONTENT : Where.OTHER;
            case CONTENT_PART -> "text".equals(field) ? Where.PROMPT_TEXT : Where.OTHER;
            default -> Where.OTHER;
        };
    }

    private void writeValue(JsonNode node, CanonicalSink out, Where where) {
        switch (node.getNodeType()) {
            // an object among prompt texts is a Responses input item: a message like chat's
            case OBJECT -> writeObject(node, out, where == Where.MESSAGES || where == Where.PROMPT_ITEMS
                    ? Where.MESSAGE
                    : where == Where.CONTENT_PARTS ? Where.CONTENT_PART : Where.OTHER);
            case ARRAY -> writeArray(node, out, where);
            case STRING -> writeString(isText(where) ? text.normalize(node.textValue()) : node.textValue(), out);
            case NUMBER -> out.ascii(canonicalNumber(node));
            case BOOLEAN -> out.ascii(node.booleanValue() ? "true" : "false");
            default -> out.ascii("null");
        }
    }

    private void writeArray(JsonNode node, CanonicalSink out, Where where) {
        if (where == Where.CONTENT && text.active()) {
            JsonNode lone = loneTextPart(node);
            if (lone != null) {
                writeString(text.normalize(lone.textValue()), out);
                return;
            }
        }
        Where element = switch (where) {
            case MESSAGES -> Where.MESSAGES;
            case CONTENT -> Where.CONTENT_PARTS;
            case PROMPT_TEXT, PROMPT_ITEMS -> Where.PROMPT_ITEMS;
            default -> Where.OTHER;
        };
        out.ascii('[');
        for (int i = 0; i < node.size(); i++) {
            if (i > 0) {
                out.ascii(',');
            }
            writeValue(node.get(i), out, element);
        }
        out.ascii(']');
    }

    /** A content array holding one {@code {"type":"text","text":…}} part (input_text on /v1/responses) means the same as the plain string. */
    private static JsonNode loneTextPart(JsonNode parts) {
        if (parts.size() != 1) {
            return null;
        }
        JsonNode part = parts.get(0);
        if (!part.isObject() || part.size() != 2) {
            return null;
        }
        JsonNode type = part.get("type");
        JsonNode value = part.get("text");
        boolean text = type != null && ("text".equals(type.textValue()) || "input_text".equals(type.textValue()));
        return text && value != null && value.isTextual() ? value : null;
    }

    private static boolean isText(Where where) {
        return where == Where.CONTENT || where == Where.PROMPT_TEXT || where == Where.PROMPT_ITEMS;
    }

    static String canonicalNumber(JsonNode number) {
        if (number.isIntegralNumber() && number.canConvertToLong()) {
            long value = number.longValue();
            if (value % 10 != 0) {
                return Long.toString(value); // the common case without BigDecimal; 100 is 1E+2, as a decimal 100.0 is
            }
        }
        BigDecimal value = number.isBigDecimal()
                ? number.decimalValue()
                : number.isIntegralNumber()
                        ? new BigDecimal(number.bigIntegerValue())
                        : new BigDecimal(number.asText());
        if (value.signum() == 0) {
            return "0";
        }
        return value.stripTrailingZeros().toString();
    }

    static void writeString(String value, CanonicalSink out) {
        out.ascii('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.ascii("\\\"");
                case '\\' -> out.ascii("\\\\");
                case '\n' -> out.ascii("\\n");
                case '\r' -> out.ascii("\\r");
                case '\t' -> out.ascii("\\t");
                default -> {
                    if (c < 0x20) {
                        out.ascii("\\u00");
                        out.ascii(Character.forDigit(c >> 4, 16));
                        out.ascii(Character.forDigit(c & 0xF, 16));
                    } else if (c < 0x80) {
                        out.ascii(c);
                    } else if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                        out.codePoint(Character.toCodePoint(c, value.charAt(++i)));
                    } else if (Character.isSurrogate(c)) {
                        out.ascii('?'); // an unpaired surrogate, as String.getBytes(UTF_8) writes it
                    } else {
                        out.codePoint(c);
                    }
                }
            }
        }
        out.ascii('"');
    }
}
