package io.strata.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import org.junit.jupiter.api.Test;

import io.vertx.core.MultiMap;

/** How long a provider asks to wait: a negative or malformed value names no wait (it is not "retry at once"). */
class RetryAfterTest {

    private static final long NOW = 1_700_000_000_000L;

    private static long wait(String name, String value) {
        return RetryAfter.millis(new UpstreamResponse(429, MultiMap.caseInsensitiveMultiMap().add(name, value), null), NOW);
    }

    @Test
    void secondsMillisecondsAndDates() {
        assertEquals(2_000, wait("Retry-After", "2"));
        assertEquals(1_500, wait("Retry-After", "1.5"));
        assertEquals(50, wait("retry-after-ms", "50"));
        String inThreeSeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.ofEpochMilli(NOW + 3_000).atZone(ZoneOffset.UTC));
        assertEquals(3_000, wait("Retry-After", inThreeSeconds));
        String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.ofEpochMilli(NOW - 3_000).atZone(ZoneOffset.UTC));
        assertEquals(0, wait("Retry-After", past), "a date already past is the provider's own 'now'");
    }

    @Test
    void negativeOrMalformedNamesNoWait() {
        assertEquals(-1, wait("Retry-After", "-5"));
        assertEquals(-1, wait("Retry-After", "-0.5"));
        assertEquals(-1, wait("retry-after-ms", "-100"));
        assertEquals(-1, wait("Retry-After", "NaN"));
        assertEquals(-1, wait("Retry-After", "1e400"));
        assertEquals(-1, wait("Retry-After", "soon"));
        assertEquals(-1, wait("Retry-After", ""));
    }

    @Test
    void aNegativeMillisecondHeaderFallsBackToRetryAfter() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("retry-after-ms", "-1").add("Retry-After", "3");
        assertEquals(3_000, RetryAfter.millis(new UpstreamResponse(429, headers, null), NOW));
    }
}
