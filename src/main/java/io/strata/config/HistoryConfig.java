package io.strata.config;

import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Conversation history. */
@ConfigMapping(prefix = "strata.history")
public interface HistoryConfig {

    /** {@code full}, {@code redacted}, {@code metadata-only} or {@code off}. */
    @WithDefault("full")
    Mode mode();

    /** Bearer token of the history API, besides the client keys. */
    Optional<String> token();

    enum Mode {
        FULL, REDACTED, METADATA_ONLY, OFF
    }
}
