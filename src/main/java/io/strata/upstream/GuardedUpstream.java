package io.strata.upstream;

import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.util.TypeLiteral;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;
import org.jboss.logging.Logger;

import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.faulttolerance.api.TypedGuard;
import io.smallrye.mutiny.Uni;
import io.strata.config.UpstreamConfig;

/**
 * The provider call wrapped in SmallRye Fault Tolerance: rate limit, bulkhead, circuit breaker,
 * timeout per attempt, and retries with jittered backoff on connect errors, 5xx and 429s whose
 * Retry-After is short enough. A provider's 4xx is an answer, not a failure: it passes through
 * and never trips the breaker.
 */
@Singleton
public class GuardedUpstream {

    /** Name of the breaker, for {@code CircuitBreakerMaintenance}. */
    public static final String BREAKER = "strata-upstream";

    private static final Logger LOG = Logger.getLogger(GuardedUpstream.class);

    private final Upstream upstream;
    private final TypedGuard<Uni<UpstreamResponse>> guard;
    private final UpstreamMetrics metrics;
    private final long maxRetryAfterMillis;
    private final boolean retries;
    private final AtomicReference<CircuitBreakerState> breakerState = new AtomicReference<>(CircuitBreakerState.CLOSED);

    private final SharedBudget budget;
    private final com.fasterxml.jackson.databind.ObjectMapper json;

    public GuardedUpstream(Upstream upstream, UpstreamConfig config, UpstreamMetrics metrics, SharedBudget budget,
            com.fasterxml.jackson.databind.ObjectMapper json) {
        this.upstream = upstream;
        this.budget = budget;
        this.json = json;
        this.metrics = metrics;
        this.maxRetryAfterMillis = config.retry().maxRetryAfter().toMillis();
        this.retries = config.retry().maxRetries() > 0;
        this.guard = buildGuard(config);
        metrics.registerBreakerState(breakerState::get);
    }

    private TypedGuard<Uni<UpstreamResponse>> buildGuard(UpstreamConfig config) {
        UpstreamConfig.Retry retry = config.retry();
        long attemptMillis = config.timeout().toMillis();
        // @formatter:off (each strategy's settings indented under it)
        TypedGuard.Builder<Uni<UpstreamResponse>> builder = TypedGuard.create(new TypeLiteral<Uni<UpstreamResponse>>() {
        })
                .withDescription("strata upstream call")
                .withThreadOffload(false)
                .withBulkhead()
                    .limit(config.bulkhead().maxConcurrent())
                    .queueSize(config.bulkhead().queue())
                    .onRejected(() -> metrics.rejected("bulkhead"))
                    .done()
                .withCircuitBreaker()
                    .name(BREAKER)
                    .requestVolumeThreshold(config.circuitBreaker().requestVolume())
                    .failureRatio(config.circuitBreaker().failureRatio())
                    .delay(config.circuitBreaker().delay().toMillis(), ChronoUnit.MILLIS)
                    .successThreshold(config.circuitBreaker().successThreshold())
                    .failOn(List.of(UpstreamServerError.class, UpstreamConnectFailure.class, TimeoutException.class))
                    .onStateChange(this::breakerChanged)
                    .onPrevented(() -> metrics.rejected("circuit_open"))
                    .done()
                .withTimeout()
                    .duration(attemptMillis, ChronoUnit.MILLIS)
                    .onTimeout(() -> metrics.rejected("timeout"))
                    .done();
        // @formatter:on
        if (config.rateLimit().requests() > 0) {
            builder.withRateLimit()
                    .limit(config.rateLimit().requests())
                    .window(config.rateLimit().window().toMillis(), ChronoUnit.MILLIS)
                    .onRejected(() -> metrics.rejected("rate_limit"))
                    .done();
        }
        if (retry.maxRetries() > 0) {
            long initial = retry.initialDelay().toMillis();
            long max = retry.maxDelay().toMillis();
            builder.withRetry()
                    .maxRetries(retry.maxRetries())
                    .delay(initial, ChronoUnit.MILLIS)
                    .jitter(0, ChronoUnit.MILLIS) // RetryBackoff applies its own full jitter
                    .maxDuration((attemptMillis + Math.max(max, maxRetryAfterMillis)) * (retry.maxRetries() + 1), ChronoUnit.MILLIS)
                    .retryOn(List.of(UpstreamServerError.class, UpstreamConnectFailure.class, UpstreamRateLimited.class))
                    .onRetry(metrics::retried)
                    .withCustomBackoff().strategy(() -> new RetryBackoff(initial, max)).done()
                    .done();
        }
        return builder.build();
    }

    /**
     * Sends the request through the shared budget (when configured) and the guard; lazy, so one
     * subscription is one guarded call.
     */
    public Uni<UpstreamResponse> send(UpstreamRequest request) {
        Uni<UpstreamResponse> guarded = Uni.createFrom().deferred(() -> guard.get(() -> attempt(request)));
        if (!budget.enabled()) {
            return guarded;
        }
        return budget.reserve(request.estimatedTokens()).chain(reservation -> guarded
                .map(response -> {
                    if (response.isStreaming()) {
                        return response.withUsageReport(tokens -> budget.settle(reservation, tokens));
                    }
                    budget.settle(reservation, tokensUsed(response, reservation.estimatedTokens()));
                    return response;
                })
                .onFailure().invoke(failure -> budget.settle(reservation, 0)));
    }

    /** The usage the provider reported; nothing for an error; the estimate when the answer does not say. */
    private long tokensUsed(UpstreamResponse response, long estimate) {
        if (response.status() >= 400) {
            return 0;
        }
        String type = response.header("content-type");
        if (type == null || !type.contains("json")) {
            return estimate;
        }
        try {
            com.fasterxml.jackson.databind.JsonNode usage = json.readTree(response.body().getBytes()).path("usage");
            return usage.has("total_tokens") ? usage.get("total_tokens").asLong() : estimate;
        } catch (java.io.IOException | RuntimeException unreadable) {
            return estimate;
        }
    }

    /** One attempt: 5xx and retryable 429s become failures so the guard can retry and count them. */
    private Uni<UpstreamResponse> attempt(UpstreamRequest request) {
        long start = System.nanoTime();
        return upstream.send(request)
                .onItem().transform(response -> {
                    metrics.answered(response.status(), System.nanoTime() - start);
                    if (response.status() >= 500) {
                        throw new UpstreamServerError(response);
                    }
                    if (response.status() == 429 && retries) {
                        long wait = RetryAfter.millis(response, System.currentTimeMillis());
                        if (wait >= 0 && wait <= maxRetryAfterMillis) {
                            throw new UpstreamRateLimited(response, wait);
                        }
                    }
                    return response;
                })
                .onFailure(failure -> !(failure instanceof UpstreamServerError || failure instanceof UpstreamRateLimited))
                .invoke(failure -> metrics.failed(failure, System.nanoTime() - start));
    }

    /** Closes the breaker and forgets its window (operators after a provider incident, and tests). */
    public void resetCircuitBreaker() {
        io.smallrye.faulttolerance.api.CircuitBreakerMaintenance.get().reset(BREAKER);
        breakerState.set(CircuitBreakerState.CLOSED);
    }

    public CircuitBreakerState breakerState() {
        return breakerState.get();
    }

    private void breakerChanged(CircuitBreakerState state) {
        breakerState.set(state);
        LOG.infof("Upstream circuit breaker is now %s", state);
    }
}
