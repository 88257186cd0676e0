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

    /** Top-level request fields that cannot change the answer (SPEC §3). */
    static final Set<String> EXCLUDED_FIELDS = Set.of("stream", "stream_options", "user", "metadata", "store");

    private final TextNormalizer text;

    CanonicalJson(TextNormalizer text) {
        this.text = text;
    }

    String write(JsonNode root) {
        StringBuilder out = new StringBuilder(256);
        if (root.isObject()) {
            writeObject(root, out, Where.ROOT);
        } else {
            writeValue(root, out, Where.OTHER);
        }
        return out.toString();
    }

    /** Where a value sits, as far as text normalisation cares. */
    private enum Where {
        ROOT, MESSAGES, MESSAGE, CONTENT, CONTENT_PARTS, CONTENT_PART, PROMPT_TEXT, OTHER
    }

    private void writeObject(JsonNode node, StringBuilder out, Where where) {
        List<String> names = new ArrayList<>(node.size());
        for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
            String name = it.next();
            if (where != Where.ROOT || !EXCLUDED_FIELDS.contains(name)) {
                names.add(name);
            }
        }
        Collections.sort(names);
        out.append('{');
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (i > 0) {
                out.append(',');
            }
            writeString(name, out);
            out.append(':');
            writeValue(node.get(name), out, childOf(where, name));
        }
        out.append('}');
    }

    private static Where childOf(Where parent, String field) {
        return switch (parent) {
            case ROOT -> switch (field) {
                case "messages" -> Where.MESSAGES;
                case "prompt", "input" -> Where.PROMPT_TEXT;
                default -> Where.OTHER;
            };
            case MESSAGE -> "content".equals(field) ? Where.CONTENT : Where.OTHER;
            case CONTENT_PART -> "text".equals(field) ? Where.PROMPT_TEXT : Where.OTHER;
            default -> Where.OTHER;
        };
    }

    private void writeValue(JsonNode node, StringBuilder out, Where where) {
        switch (node.getNodeType()) {
            case OBJECT -> writeObject(node, out, where == Where.MESSAGES ? Where.MESSAGE
                    : where == Where.CONTENT_PARTS ? Where.CONTENT_PART : Where.OTHER);
            case ARRAY -> writeArray(node, out, where);
            case STRING -> writeString(isText(where) ? text.normalize(node.textValue()) : node.textValue(), out);
            case NUMBER -> out.append(canonicalNumber(node));
            case BOOLEAN -> out.append(node.booleanValue());
            default -> out.append("null");
        }
    }

    private void writeArray(JsonNode node, StringBuilder out, Where where) {
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
            case PROMPT_TEXT -> Where.PROMPT_TEXT;
            default -> Where.OTHER;
        };
        out.append('[');
        for (int i = 0; i < node.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            writeValue(node.get(i), out, element);
        }
        out.append(']');
    }

    /** A content array holding one {@code {"type":"text","text":…}} part means the same as the plain string. */
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
        return type != null && "text".equals(type.textValue()) && value != null && value.isTextual() ? value : null;
    }

    private static boolean isText(Where where) {
        return where == Where.CONTENT || where == Where.PROMPT_TEXT;
    }

    static String canonicalNumber(JsonNode number) {
        BigDecimal value = number.isBigDecimal() ? number.decimalValue()
                : number.isIntegralNumber() ? new BigDecimal(number.bigIntegerValue())
                : new BigDecimal(number.asText());
        if (value.signum() == 0) {
            return "0";
        }
        return value.stripTrailingZeros().toString();
    }

    static void writeString(String value, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

}
