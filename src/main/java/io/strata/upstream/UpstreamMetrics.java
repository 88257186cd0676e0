package io.strata.upstream;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.faulttolerance.api.CircuitBreakerState;

/** Provider call meters: latency and status per attempt, guard rejections, retries, breaker state. */
@Singleton
public class UpstreamMetrics {

    private final MeterRegistry registry;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private Supplier<CircuitBreakerState> breakerState;

    public UpstreamMetrics(MeterRegistry registry) {
        this.registry = registry;
        // the series the dashboard queries exist from the start, at zero
        for (String reason : new String[]{"rate_limit", "bulkhead", "circuit_open", "timeout"}) {
            rejectedCounter(reason);
        }
        retriesCounter();
        timer("200");
        timer("error");
    }

    /** strata_upstream_seconds{status}: one attempt that got an HTTP answer. */
    public void answered(int status, long nanos) {
        timer(Integer.toString(status)).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** strata_upstream_seconds{status="error"}: one attempt that got no answer. */
    public void failed(Throwable failure, long nanos) {
        timer("error").record(nanos, TimeUnit.NANOSECONDS);
    }

    /** strata_upstream_rejected_total{reason}: calls the guard refused or cut (rate_limit, bulkhead, circuit_open, timeout). */
    public void rejected(String reason) {
        rejectedCounter(reason).increment();
    }

    private Counter rejectedCounter(String reason) {
        return counters.computeIfAbsent("rej|" + reason, k -> Counter.builder("strata.upstream.rejected")
                .description("Upstream calls refused or cut by the fault-tolerance guard")
                .tag("reason", reason).register(registry));
    }

    /** strata_upstream_retries_total. */
    public void retried() {
        retriesCounter().increment();
    }

    private Counter retriesCounter() {
        return counters.computeIfAbsent("retry", k -> Counter.builder("strata.upstream.retries")
                .description("Upstream attempts retried").register(registry));
    }

    /** strata_upstream_circuit_state: 0 closed, 1 half-open, 2 open. */
    public void registerBreakerState(Supplier<CircuitBreakerState> state) {
        this.breakerState = state; // held strongly: Micrometer keeps only a weak reference to a gauge's object
        Gauge.builder("strata.upstream.circuit.state", state, s -> switch (s.get()) {
            case CLOSED -> 0;
            case HALF_OPEN -> 1;
            case OPEN -> 2;
        }).description("Upstream circuit breaker: 0 closed, 1 half-open, 2 open").register(registry);
    }

    private Timer timer(String status) {
        return timers.computeIfAbsent(status, k -> Timer.builder("strata.upstream")
                .description("Upstream call latency per attempt, by status")
                .tag("status", status).register(registry));
    }
}
