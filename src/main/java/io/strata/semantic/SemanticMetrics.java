package io.strata.semantic;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The semantic layer's meters: lookups by outcome, the similarity of the hits served (a
 * histogram with buckets around the useful thresholds) and of the best candidate a lookup refused,
 * the time an embedding takes, and the vectors stored.
 */
@Singleton
public class SemanticMetrics {

    /** Every outcome of a lookup, registered at zero so dashboards find the series from the start. */
    static final String[] OUTCOMES = {"hit", "no_candidates", "below_threshold", "guard_rejected", "entry_gone", "embed_failed",
            "embed_timeout", "embedder_busy", "l2_failed"};

    private static final double[] BUCKETS = {0.80, 0.85, 0.88, 0.90, 0.92, 0.94, 0.96, 0.98, 0.99, 1.0};

    private final MeterRegistry registry;
    private final Map<String, Counter> lookups = new ConcurrentHashMap<>();
    private final Map<String, Counter> stores = new ConcurrentHashMap<>();
    private final DistributionSummary hitSimilarity;
    private final DistributionSummary refusedSimilarity;
    private final Timer embedding;

    public SemanticMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (String outcome : OUTCOMES) {
            lookup(outcome);
        }
        for (String outcome : new String[]{"stored", "skipped", "failed", "dropped"}) {
            store(outcome);
        }
        this.hitSimilarity = DistributionSummary.builder("strata.cache.semantic.similarity")
                .description("Cosine similarity of the semantic hits served").serviceLevelObjectives(BUCKETS).register(registry);
        this.refusedSimilarity = DistributionSummary.builder("strata.cache.semantic.refused.similarity")
                .description(
                        "Cosine similarity of the closest candidate of a lookup that served nothing (below threshold or refused by the guard)")
                .serviceLevelObjectives(BUCKETS).register(registry);
        this.embedding = Timer.builder("strata.cache.semantic.embedding").description("Time to embed a final user message")
                .publishPercentileHistogram(false).register(registry);
    }

    void lookup(String outcome, double similarity) {
        lookup(outcome).increment();
        if (outcome.equals("hit")) {
            hitSimilarity.record(similarity);
        } else if (similarity > -1) {
            refusedSimilarity.record(similarity);
        }
    }

    void embedded(long nanos) {
        embedding.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void stored(String outcome) {
        store(outcome).increment();
    }

    private Counter lookup(String outcome) {
        return lookups.computeIfAbsent(outcome, o -> Counter.builder("strata.cache.semantic.lookups").tag("outcome", o)
                .description("Semantic lookups after an exact miss, by outcome").register(registry));
    }

    private Counter store(String outcome) {
        return stores.computeIfAbsent(outcome, o -> Counter.builder("strata.cache.semantic.stores").tag("outcome", o)
                .description("Vectors stored beside new entries, by outcome").register(registry));
    }
}
