package io.strata.observability;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.strata.config.PricingConfig;

/**
 * Counts tokens served from cache separately from tokens the provider billed, and estimates the
 * money each side stands for from the configured price table. A hit still returns the stored
 * usage unchanged to the client; only these counters tell the two apart.
 */
@Singleton
public class TokenAccounting {

    private final Counter cachePrompt;
    private final Counter cacheCompletion;
    private final Counter providerPrompt;
    private final Counter providerCompletion;
    private final Counter saved;
    private final Counter billed;
    private final List<Map.Entry<String, PricingConfig.ModelPrice>> pricesLongestFirst;

    public TokenAccounting(MeterRegistry registry, PricingConfig pricing) {
        this.cachePrompt = tokens(registry, "cache", "prompt");
        this.cacheCompletion = tokens(registry, "cache", "completion");
        this.providerPrompt = tokens(registry, "provider", "prompt");
        this.providerCompletion = tokens(registry, "provider", "completion");
        this.saved = Counter.builder("strata.cost.saved.usd").description("Estimated provider cost avoided by cache answers (USD)")
                .register(registry);
        this.billed = Counter.builder("strata.cost.billed.usd").description("Estimated provider cost of provider answers (USD)")
                .register(registry);
        this.pricesLongestFirst = pricing.models().entrySet().stream()
                .sorted(Comparator.comparingInt((Map.Entry<String, PricingConfig.ModelPrice> e) -> e.getKey().length()).reversed())
                .toList();
    }

    private static Counter tokens(MeterRegistry registry, String source, String type) {
        return Counter.builder("strata.tokens").description("Tokens by source: served from cache, or billed by the provider")
                .tag("source", source).tag("type", type).register(registry);
    }

    /** Tokens and estimated money since start, as the counters hold them. */
    public record Totals(long cachePromptTokens, long cacheCompletionTokens, long providerPromptTokens, long providerCompletionTokens,
            double savedUsd, double billedUsd) {
    }

    public Totals totals() {
        return new Totals((long) cachePrompt.count(), (long) cacheCompletion.count(), (long) providerPrompt.count(),
                (long) providerCompletion.count(), saved.count(), billed.count());
    }

    /** An answer served from cache (hit, stale or coalesced). */
    public void servedFromCache(String model, int promptTokens, int completionTokens) {
        add(cachePrompt, cacheCompletion, saved, model, promptTokens, completionTokens);
    }

    /** An answer the provider produced (and billed). */
    public void billedByProvider(String model, int promptTokens, int completionTokens) {
        add(providerPrompt, providerCompletion, billed, model, promptTokens, completionTokens);
    }

    private void add(Counter prompt, Counter completion, Counter money, String model, int promptTokens, int completionTokens) {
        int p = Math.max(0, promptTokens);
        int c = Math.max(0, completionTokens);
        prompt.increment(p);
        completion.increment(c);
        PricingConfig.ModelPrice price = priceOf(model);
        if (price != null) {
            money.increment((p * price.prompt() + c * price.completion()) / 1_000_000.0);
        }
    }

    /** The price of the longest configured model name the reported model starts with. */
    PricingConfig.ModelPrice priceOf(String model) {
        if (model == null) {
            return null;
        }
        for (Map.Entry<String, PricingConfig.ModelPrice> entry : pricesLongestFirst) {
            if (model.startsWith(entry.getKey())) {
                return entry.getValue();
            }
        }
        return null;
    }
}
