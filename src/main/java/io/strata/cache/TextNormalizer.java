package io.strata.cache;

import java.text.Normalizer;
import java.util.regex.Pattern;

import io.strata.config.CacheConfig.Normalization;

/** Normalises prompt text before it is hashed, so trivially different prompts share an entry. */
final class TextNormalizer {

    private static final Pattern WHITESPACE_RUN = Pattern.compile("\\s+");

    private final Normalization mode;

    TextNormalizer(Normalization mode) {
        this.mode = mode;
    }

    boolean active() {
        return mode != Normalization.STRICT;
    }

    String normalize(String text) {
        if (mode == Normalization.STRICT) {
            return text;
        }
        String result = Normalizer.isNormalized(text, Normalizer.Form.NFC) ? text : Normalizer.normalize(text, Normalizer.Form.NFC);
        if (result.indexOf('\r') >= 0) {
            result = result.replace("\r\n", "\n");
        }
        result = result.strip();
        if (mode == Normalization.AGGRESSIVE) {
            result = WHITESPACE_RUN.matcher(result).replaceAll(" ");
        }
        return result;
    }
}
