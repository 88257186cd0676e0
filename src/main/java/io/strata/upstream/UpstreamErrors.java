package io.strata.upstream;

import java.util.Map;

import org.eclipse.microprofile.faulttolerance.exceptions.BulkheadException;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;
import org.jboss.logging.Logger;

import io.smallrye.faulttolerance.api.RateLimitException;
import io.strata.core.StrataException;

/**
 * What a failed provider call means to the client, as an OpenAI-shaped error. The fault-tolerance
 * exception types stop here: nothing outside this package needs to know them.
 */
public final class UpstreamErrors {

    private static final Logger LOG = Logger.getLogger(UpstreamErrors.class);

    private UpstreamErrors() {
    }

    public static StrataException asStrataError(Throwable failure) {
        if (failure instanceof StrataException error) {
            return error;
        }
        if (failure instanceof CircuitBreakerOpenException) {
            return new StrataException(503, "server_error", "upstream_unavailable", null,
                    "The provider is failing; Strata stopped calling it for a while (circuit open).", Map.of("Retry-After", "10"));
        }
        if (failure instanceof TimeoutException || failure instanceof io.smallrye.mutiny.TimeoutException) {
            return new StrataException(504, "server_error", "upstream_timeout", null, "The provider did not answer in time.", Map.of());
        }
        if (failure instanceof RateLimitException limited) {
            long seconds = Math.max(1, (limited.getRetryAfterMillis() + 999) / 1000);
            return new StrataException(429, "rate_limit_error", "rate_limited", null,
                    "Strata's rate limit for provider calls is reached; retry later.", Map.of("Retry-After", Long.toString(seconds)));
        }
        if (failure instanceof SharedBudget.BudgetExhausted spent) {
            return new StrataException(429, "rate_limit_error", "rate_limited", null,
                    "The shared provider budget for this minute is spent; retry later.",
                    Map.of("Retry-After", Long.toString(spent.retryAfterSeconds())));
        }
        if (failure instanceof BulkheadException) {
            return new StrataException(429, "rate_limit_error", "rate_limited", null,
                    "Too many provider calls in flight; retry later.", Map.of("Retry-After", "1"));
        }
        if (failure instanceof UpstreamConnectFailure) {
            return new StrataException(502, "server_error", "upstream_unavailable", null, "The provider could not be reached.", Map.of());
        }
        if (failure instanceof UpstreamBadResponse || failure instanceof UpstreamStreamCut) {
            return new StrataException(502, "server_error", "upstream_bad_response", null, failure.getMessage(), Map.of());
        }
        LOG.error("Unexpected failure on the provider path", failure);
        return new StrataException(500, "server_error", "internal_error", null, "Strata failed to handle the request.", Map.of());
    }

    /**
     * Whether the guard retries failures of this kind (a 5xx, a short 429, a connect error): when
     * one reaches the client, Strata has already retried it, and says so with
     * {@code x-should-retry: false} so the client's SDK does not multiply the calls.
     */
    public static boolean retriedByGuard(Throwable failure) {
        return failure instanceof UpstreamServerError || failure instanceof UpstreamRateLimited
                || failure instanceof UpstreamConnectFailure;
    }

    /** The provider's own answer behind a failure the guard raised to retry it (a 5xx, a short 429), or null. */
    public static UpstreamResponse providerAnswer(Throwable failure) {
        if (failure instanceof UpstreamServerError error) {
            return error.response();
        }
        if (failure instanceof UpstreamRateLimited limited) {
            return limited.response();
        }
        return null;
    }
}
