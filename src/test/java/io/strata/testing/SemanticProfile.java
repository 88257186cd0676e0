package io.strata.testing;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * The semantic layer on, with the bundled model. Every test that loads the model uses this one
 * profile: its JNI libraries load in one class loader per JVM, so a second application (another
 * profile) could not load them again.
 */
public class SemanticProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        // a cold model on a shared machine: the timeout is not what these tests are about
        return Map.of("strata.cache.semantic.enabled", "true", "strata.cache.semantic.timeout", "5s",
                "strata.api.admin-token", "adm-secret");
    }
}
