package io.strata.proxy;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** Ids of requests and their history records: UUID version 7, so they sort by time. */
public final class RequestIds {

    private RequestIds() {
    }

    public static String next() {
        return next(System.currentTimeMillis());
    }

    /** An id for a request that started at this instant. */
    public static String next(long millis) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (millis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }
}
