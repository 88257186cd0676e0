package io.strata.core;

import java.util.concurrent.atomic.AtomicLong;

import org.jboss.logging.Logger;

/**
 * Logs a recurring event (a drop, a skipped write) at most once per interval, with how many
 * happened since the last line: visible in the log without flooding it. The counts themselves are
 * in the metrics.
 */
public final class ThrottledLog {

    private final Logger logger;
    private final Logger.Level level;
    private final long intervalMillis;
    private final AtomicLong sinceLast = new AtomicLong();
    private final AtomicLong lastAt = new AtomicLong();

    public ThrottledLog(Logger logger, Logger.Level level, long intervalMillis) {
        this.logger = logger;
        this.level = level;
        this.intervalMillis = intervalMillis;
    }

    /** Counts one occurrence; logs "message (N since the last report)" when the interval has passed. */
    public void occurred(String message) {
        sinceLast.incrementAndGet();
        long now = System.currentTimeMillis();
        long last = lastAt.get();
        if (now - last >= intervalMillis && lastAt.compareAndSet(last, now)) {
            logger.logf(level, "%s (%d since the last report)", message, sinceLast.getAndSet(0));
        }
    }
}
