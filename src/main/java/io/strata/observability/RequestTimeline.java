package io.strata.observability;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Requests by cache status over time, from the cumulative counters: a sample at the end of each
 * bucket stores the difference to the previous sample, the last {@code capacity} buckets are kept,
 * and the open bucket is read live. Counting stays where it is (one adder per status); this only
 * reads the sums once per bucket.
 */
public final class RequestTimeline {

    /** One bucket: its start, and the requests of each status (in {@code CacheStatus} order) it saw. */
    public record Bucket(Instant start, long[] counts) {
    }

    private final Duration width;
    private final int capacity;
    private final Deque<Bucket> closed = new ArrayDeque<>();
    private Instant openSince;
    private long[] atOpen;

    public RequestTimeline(Duration width, int capacity, Instant start, long[] cumulativeAtStart) {
        this.width = width;
        this.capacity = capacity;
        this.openSince = start;
        this.atOpen = cumulativeAtStart.clone();
    }

    public Duration width() {
        return width;
    }

    /** Closes the open bucket at {@code now} with the counters' current sums. */
    public synchronized void sample(Instant now, long[] cumulative) {
        closed.addLast(new Bucket(openSince, difference(cumulative, atOpen)));
        while (closed.size() > capacity) {
            closed.removeFirst();
        }
        openSince = now;
        atOpen = cumulative.clone();
    }

    /** The kept buckets, oldest first, then the open one read from the counters' current sums. */
    public synchronized List<Bucket> buckets(long[] cumulative) {
        List<Bucket> all = new ArrayList<>(closed.size() + 1);
        all.addAll(closed);
        all.add(new Bucket(openSince, difference(cumulative, atOpen)));
        return all;
    }

    private static long[] difference(long[] now, long[] before) {
        long[] counts = new long[now.length];
        for (int i = 0; i < now.length; i++) {
            counts[i] = Math.max(0, now[i] - before[i]);
        }
        return counts;
    }
}
