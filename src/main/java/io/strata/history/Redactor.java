package io.strata.history;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import io.strata.config.HistoryConfig;

/**
 * Replaces personal data in the text values of a JSON document (never in its keys or numbers, so
 * the document stays valid): e-mail addresses, phone numbers, card numbers, and custom patterns.
 */
final class Redactor {

    private static final Map<String, Pattern> BUILT_IN = Map.of(
            "email", Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}"),
            "card", Pattern.compile("\\b(?:\\d[ -]?){12,18}\\d\\b"),
            "phone", Pattern.compile("(?<![\\w.])\\+?\\d[\\d ().-]{7,}\\d(?![\\w.])"));

    private final List<Rule> rules = new ArrayList<>();

    /** A pattern, what replaces a match, and which matches count (digit counts, the card checksum). */
    private record Rule(Pattern pattern, String replacement, Predicate<String> applies) {
    }

    Redactor(HistoryConfig.Redaction config) {
        // cards before phones: a card number also looks like a long phone number
        for (String name : List.of("email", "card", "phone")) {
            if (config.builtIn().contains(name)) {
                Predicate<String> applies = switch (name) {
                    case "card" -> Redactor::passesLuhn;
                    case "phone" -> match -> digits(match).length() >= 9 && digits(match).length() <= 15;
                    default -> match -> true;
                };
                rules.add(new Rule(BUILT_IN.get(name), "[REDACTED:" + name + "]", applies));
            }
        }
        for (String custom : config.patterns().orElse(List.of())) {
            rules.add(new Rule(Pattern.compile(custom), "[REDACTED]", match -> true));
        }
    }

    String redact(String text) {
        String result = text;
        for (Rule rule : rules) {
            result = rule.pattern().matcher(result).replaceAll(match -> Matcher.quoteReplacement(
                    rule.applies().test(match.group()) ? rule.replacement() : match.group()));
        }
        return result;
    }

    private static String digits(String text) {
        return text.replaceAll("\\D", "");
    }

    /** Card numbers carry a Luhn check digit; other long digit runs (ids, timestamps) do not pass it. */
    static boolean passesLuhn(String candidate) {
        String digits = digits(candidate);
        if (digits.length() < 13 || digits.length() > 19) {
            return false;
        }
        int sum = 0;
        for (int i = 0; i < digits.length(); i++) {
            int digit = digits.charAt(digits.length() - 1 - i) - '0';
            if (i % 2 == 1) {
                digit *= 2;
                if (digit > 9) {
                    digit -= 9;
                }
            }
            sum += digit;
        }
        return sum % 10 == 0;
    }

    /** A redacted copy of the document. */
    JsonNode redact(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isTextual()) {
            return TextNode.valueOf(redact(node.textValue()));
        }
        if (node.isObject()) {
            ObjectNode copy = ((ObjectNode) node).objectNode();
            node.fields().forEachRemaining(field -> copy.set(field.getKey(), redact(field.getValue())));
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = ((ArrayNode) node).arrayNode();
            node.forEach(item -> copy.add(redact(item)));
            return copy;
        }
        return node;
    }
}
