package io.strata.upstream;

import java.util.concurrent.ThreadLocalRandom;

import io.smallrye.faulttolerance.api.CustomBackoffStrategy;

/**
 * Backoff between retries: what the provider asked for when it named a wait, else exponential
 * backoff with full jitter (so that many clients retrying do not retry in step). One instance per
 * guarded call.
 */
final class RetryBackoff implements CustomBackoffStrategy {

    private final long initialMillis;
    private final long maxMillis;
    private int attempt;

    RetryBackoff(long initialMillis, long maxMillis) {
        this.initialMillis = Math.max(1, initialMillis);
        this.maxMillis = Math.max(this.initialMillis, maxMillis);
    }

    @Override
    public long nextDelayInMillis(Throwable failure) {
        long asked = askedWait(failure);
        if (asked >= 0) {
            return failure instanceof UpstreamRateLimited ? asked : Math.min(asked, maxMillis);
        }
        long ceiling = Math.min(maxMillis, initialMillis << Math.min(attempt++, 20));
        return ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1);
    }

    private static long askedWait(Throwable failure) {
        if (failure instanceof UpstreamRateLimited limited) {
            return limited.retryAfterMillis();
        }
        if (failure instanceof UpstreamServerError error) {
            return RetryAfter.millis(error.response(), System.currentTimeMillis());
        }
        return -1;
    }
}
