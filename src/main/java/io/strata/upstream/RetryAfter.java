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
            try {
                return Math.max(0, (long) Double.parseDouble(ms.strip()));
            } catch (NumberFormatException ignored) {
                // fall through to Retry-After
            }
        }
        String value = response.header("retry-after");
        if (value == null || value.isBlank()) {
            return -1;
        }
        value = value.strip();
        try {
            return Math.max(0, (long) (Double.parseDouble(value) * 1000));
        } catch (NumberFormatException notSeconds) {
            try {
                return Math.max(0, ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli() - nowMillis);
            } catch (DateTimeParseException notADate) {
                return -1;
            }
        }
    }
}
