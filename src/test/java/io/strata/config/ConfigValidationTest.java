package io.strata.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** Settings that would fail every request are refused at start, naming the property. */
class ConfigValidationTest {

    @Test
    void aBaseUrlWithoutSchemeOrHostIsRefused() {
        assertTrue(ConfigValidation.baseUrlProblem("api.openai.com/v1").orElseThrow().startsWith("strata.upstream.base-url"));
        assertTrue(ConfigValidation.baseUrlProblem("ftp://example.com/v1").isPresent());
        assertTrue(ConfigValidation.baseUrlProblem("https:///v1").isPresent());
        assertTrue(ConfigValidation.baseUrlProblem("https://exa mple.com").isPresent());
        assertEquals(Optional.empty(), ConfigValidation.baseUrlProblem("https://api.openai.com/v1"));
        assertEquals(Optional.empty(), ConfigValidation.baseUrlProblem("http://127.0.0.1:8081/v1"));
        assertEquals(Optional.empty(), ConfigValidation.baseUrlProblem("mock"));
    }

    @Test
    void replaceModeNeedsAKey() {
        assertTrue(ConfigValidation.replaceKeyProblem(UpstreamConfig.AuthMode.REPLACE, Optional.empty()).orElseThrow()
                .contains("strata.upstream.api-key"));
        assertTrue(ConfigValidation.replaceKeyProblem(UpstreamConfig.AuthMode.REPLACE, Optional.of(" ")).isPresent());
        assertEquals(Optional.empty(), ConfigValidation.replaceKeyProblem(UpstreamConfig.AuthMode.REPLACE, Optional.of("sk-x")));
        assertEquals(Optional.empty(), ConfigValidation.replaceKeyProblem(UpstreamConfig.AuthMode.FORWARD, Optional.empty()));
    }

    @Test
    void bodiesInFlightHoldAtLeastOneBody() {
        assertTrue(ConfigValidation.bodiesProblem(8 << 20, 4 << 20).orElseThrow().contains("strata.api.max-bodies-in-flight"));
        assertEquals(Optional.empty(), ConfigValidation.bodiesProblem(8 << 20, 16 << 20));
    }

    @Test
    void allowedPathsAreMethodAndPath() {
        assertEquals(1, ConfigValidation.allowedPathProblems(List.of("POST /chat/completions", "GET models")).size());
        assertEquals(0, ConfigValidation.allowedPathProblems(List.of("POST /chat/completions", "/models/*")).size());
    }
}
