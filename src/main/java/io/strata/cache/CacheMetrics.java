package io.strata.cache;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The cache's meters. Meters are looked up once and kept, so the request path does no registry
 * look-ups.
 */
@Singleton
public class CacheMetrics {

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Counter[]> requestCounters = new ConcurrentHashMap<>();
    private final Map<Layer, Map<String, Timer>> lookupTimers = new java.util.EnumMap<>(Layer.class);
    private final java.util.List<Object> heldGaugeStates = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.LongAdder[] byStatus = new java.util.concurrent.atomic.LongAdder[CacheStatus.values().length];

    public CacheMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (int i = 0; i < byStatus.length; i++) {
            byStatus[i] = new java.util.concurrent.atomic.LongAdder();
        }
        for (Layer layer : Layer.values()) {
            lookupTimers.put(layer, new ConcurrentHashMap<>());
        }
        // series that dashboards and alerts query exist from the start, at zero
        for (Layer layer : new Layer[]{Layer.L1, Layer.L2}) {
            for (String operation : new String[]{"get", "put", "delete"}) {
                layerCounter("strata.cache.layer.failures", FAILURES, layer, operation);
                layerCounter("strata.cache.layer.skipped", SKIPPED, layer, operation);
                layerCounter("strata.cache.layer.late", LATE, layer, operation);
            }
        }
        for (String outcome : new String[]{"stored", "promoted", "failed", "skipped", "dropped"}) {
            writeBackCounter(outcome);
        }
        for (String outcome : new String[]{"hit", "miss"}) {
            lookupTimer(Layer.L1, outcome);
        }
        for (String outcome : new String[]{"hit", "stale", "miss"}) {
            lookupTimer(Layer.L2, outcome);
        }
        for (CacheStatus status : CacheStatus.values()) {
            for (String endpoint : new String[]{"chat.completions", "completions", "embeddings", "models"}) {
                requestCounter(endpoint, status);
            }
        }
    }

    private static final String FAILURES = "Layer operations that failed or timed out and degraded to a miss";
    private static final String SKIPPED = "Layer operations skipped while the layer's breaker is open";
    private static final String LATE = "Layer operations answered too late while the layer answered others (a miss, not a failure)";

    /** Requests answered with this status since start. */
    public long requestsSinceStart(CacheStatus status) {
        return byStatus[status.ordinal()].sum();
    }

    /** strata_cache_requests_total{endpoint,status}: every proxied request by its X-Cache-Status. */
    public void request(String endpoint, CacheStatus status) {
        byStatus[status.ordinal()].increment();
        requestCounter(endpoint, status).increment();
    }

    /** Keyed without building a string per request: endpoint ids are constants, statuses an enum. */
    private Counter requestCounter(String endpoint, CacheStatus status) {
        Counter[] perStatus = requestCounters.computeIfAbsent(endpoint, e -> new Counter[CacheStatus.values().length]);
        Counter counter = perStatus[status.ordinal()];
        if (counter == null) {
            counter = Counter.builder("strata.cache.requests")
                    .description("Proxied requests by endpoint and cache status")
                    .tag("endpoint", endpoint).tag("status", status.header())
                    .register(registry); // registering twice answers the same meter
            perStatus[status.ordinal()] = counter;
        }
        return counter;
    }

    /** strata_cache_lookup_seconds{layer,outcome}: latency of one layer's lookup. */
    public void lookup(Layer layer, String outcome, long nanos) {
        lookupTimer(layer, outcome).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    private Timer lookupTimer(Layer layer, String outcome) {
        return lookupTimers.get(layer).computeIfAbsent(outcome, o -> Timer.builder("strata.cache.lookup")
                .description("Cache lookup latency per layer")
                .tag("layer", layer.tag()).tag("outcome", o)
                .register(registry));
    }

    /** strata_cache_layer_failures_total{layer,operation}: errors and timeouts answered as misses. */
    public void layerFailed(Layer layer, String operation) {
        layerCounter("strata.cache.layer.failures", FAILURES, layer, operation).increment();
    }

    /** strata_cache_layer_late_total{layer,operation}: timed out while the layer kept answering others: a miss, not a failure. */
    public void layerLate(Layer layer, String operation) {
        layerCounter("strata.cache.layer.late", LATE, layer, operation).increment();
    }

    /** strata_cache_layer_skipped_total{layer,operation}: operations skipped while a layer's breaker is open. */
    public void layerSkipped(Layer layer, String operation) {
        layerCounter("strata.cache.layer.skipped", SKIPPED, layer, operation).increment();
    }

    /**
     * strata_cache_layer_open{layer}: 1 while the layer's breaker is open. The state is held here:
     * Micrometer keeps only a weak reference to a gauge's object, and a lambda nobody else holds
     * would be collected (the gauge then reads NaN).
     */
    public void registerLayerState(Layer layer, BooleanSupplier open) {
        heldGaugeStates.add(open);
        Gauge.builder("strata.cache.layer.open", open, o -> o.getAsBoolean() ? 1 : 0)
                .description("1 while the layer is skipped after repeated failures")
                .tag("layer", layer.tag())
                .register(registry);
    }

    /**
     * strata_cache_writeback_total{outcome}: stored (in at least one layer, none failed), promoted
     * (an L2 hit copied to L1), failed (a layer failed), skipped (nothing to store: too large) or
     * dropped (too many in flight).
     */
    public void writeBack(String outcome) {
        writeBackCounter(outcome).increment();
    }

    private Counter writeBackCounter(String outcome) {
        return counters.computeIfAbsent("wb|" + outcome, k -> Counter.builder("strata.cache.writeback")
                .description("Asynchronous cache write-backs by outcome")
                .tag("outcome", outcome)
                .register(registry));
    }

    private Counter layerCounter(String name, String description, Layer layer, String operation) {
        return counters.computeIfAbsent(name + "|" + layer.tag() + "|" + operation, k -> Counter.builder(name)
                .description(description)
                .tag("layer", layer.tag()).tag("operation", operation)
                .register(registry));
    }
}
