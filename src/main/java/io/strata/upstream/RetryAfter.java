package io.strata.upstream;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Reads how long a provider asks us to wait: {@code retry-after-ms}, then {@code Retry-After} (seconds or HTTP date). */
final class RetryAfter {

    private RetryAfter() {
    }

    /** The wait in milliseconds, or -1 when the answer names none. */
    static long millis(UpstreamResponse response, long nowMillis) {
        String ms = response.header("retry-after-ms");
        if (ms != null) {
            long millis = nonNegative(ms.strip(), 1);
            if (millis >= 0) {
                return millis;
            }
        }
        String value = response.header("retry-after");
        if (value == null || value.isBlank()) {
            return -1;
        }
        value = value.strip();
        if (!value.isEmpty() && (Character.isDigit(value.charAt(0)) || value.charAt(0) == '-' || value.charAt(0) == '+'
                || value.charAt(0) == '.')) {
            return nonNegative(value, 1000); // a negative or malformed number names no wait: it is not "retry at once"
        }
        try {
            // an HTTP date already past means "now": that one is the provider's own word
            return Math.max(0, ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli() - nowMillis);
        } catch (DateTimeParseException notADate) {
            return -1;
        }
    }

    /** A finite, non-negative number of seconds (or milliseconds) as milliseconds; -1 for anything else. */
    private static long nonNegative(String number, int millisPerUnit) {
        try {
            double value = Double.parseDouble(number);
            if (!(value >= 0) || Double.isInfinite(value)) { // NaN fails the comparison
                return -1;
            }
            return (long) Math.min(Long.MAX_VALUE / 2, value * millisPerUnit);
        } catch (NumberFormatException malformed) {
            return -1;
        }
    }
}
