package io.strata.observability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class RequestTimelineTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    @Test
    void eachBucketHoldsWhatTheCountersGainedInItAndTheOpenOneIsReadLive() {
        RequestTimeline timeline = new RequestTimeline(Duration.ofMinutes(1), 3, T0, new long[]{5, 0});
        timeline.sample(T0.plusSeconds(60), new long[]{8, 1});
        List<RequestTimeline.Bucket> buckets = timeline.buckets(new long[]{10, 1});
        assertEquals(2, buckets.size());
        assertEquals(T0, buckets.get(0).start());
        assertArrayEquals(new long[]{3, 1}, buckets.get(0).counts());
        assertEquals(T0.plusSeconds(60), buckets.get(1).start());
        assertArrayEquals(new long[]{2, 0}, buckets.get(1).counts());
    }

    @Test
    void keepsOnlyTheLastBuckets() {
        RequestTimeline timeline = new RequestTimeline(Duration.ofMinutes(1), 2, T0, new long[]{0});
        for (int minute = 1; minute <= 5; minute++) {
            timeline.sample(T0.plusSeconds(60L * minute), new long[]{minute * 10L});
        }
        List<RequestTimeline.Bucket> buckets = timeline.buckets(new long[]{50});
        assertEquals(List.of(T0.plusSeconds(180), T0.plusSeconds(240), T0.plusSeconds(300)),
                buckets.stream().map(RequestTimeline.Bucket::start).toList());
        assertArrayEquals(new long[]{0}, buckets.get(2).counts());
    }
}
