package io.strata.config;

import java.util.Map;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Provider prices, used only to estimate the money the cache saved (and the provider billed).
 * Keyed by model name; a reported model version like {@code gpt-4o-2024-08-06} takes the price of
 * the longest configured name it starts with.
 */
@ConfigMapping(prefix = "strata.pricing")
public interface PricingConfig {

    /** Prices per model, e.g. {@code strata.pricing.models."gpt-4o".prompt=2.50}. */
    Map<String, ModelPrice> models();

    /** US dollars per million tokens. */
    interface ModelPrice {
        /** Price of a million prompt (input) tokens. */
        double prompt();

        /** Price of a million completion (output) tokens. */
        @WithDefault("0")
        double completion();
    }
}
