package io.strata.semantic;

import io.strata.core.StrataException;

/**
 * What a request's {@code X-Cache-Semantic} header asks: nothing (the configured threshold),
 * {@code off} (no semantic lookup, no vector stored), or a stricter threshold. A threshold below
 * the configured one is not an error, but it is not applied: a request may only tighten.
 */
public record SemanticDirective(boolean off, double threshold) {

    public static final SemanticDirective DEFAULT = new SemanticDirective(false, Double.NaN);
    public static final SemanticDirective OFF = new SemanticDirective(true, Double.NaN);

    /** @throws StrataException 400 when the header is neither {@code off} nor a number in [0, 1] */
    public static SemanticDirective parse(String header) {
        if (header == null || header.isBlank()) {
            return DEFAULT;
        }
        String value = header.strip();
        if (value.equalsIgnoreCase("off")) {
            return OFF;
        }
        try {
            double threshold = Double.parseDouble(value);
            if (threshold >= 0 && threshold <= 1) {
                return new SemanticDirective(false, threshold);
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw StrataException.invalidRequest("invalid_request", "X-Cache-Semantic",
                "X-Cache-Semantic must be off or a similarity threshold between 0 and 1, e.g. 0.97");
    }

    /** The threshold in force: the configured one, or the request's when it is stricter. */
    public double effective(double configured) {
        return Double.isNaN(threshold) ? configured : Math.max(configured, threshold);
    }
}
