package io.strata.config;

import java.util.List;
import java.util.Optional;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The HTTP surface on port 8080. */
@ConfigMapping(prefix = "strata.api")
public interface ApiConfig {

    /** Accepted client keys (Authorization: Bearer); empty accepts any caller. */
    Optional<List<String>> clientKeys();

    /** Bearer token of /admin; without it the admin API answers 404. */
    Optional<String> adminToken();

    /** Largest request body; larger bodies get 413 body_too_large. */
    @WithDefault("8M")
    MemorySize maxBodySize();
}
