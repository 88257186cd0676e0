package io.strata.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.strata.core.StrataException;

/** Pass-through paths are decoded and normalised before they go upstream; one that leaves /v1/ never does. */
class UpstreamPathTest {

    @ParameterizedTest
    @ValueSource(strings = {"/v1/..%2f..%2fadmin", "/v1/%2e%2e%2f%2e%2e%2fadmin", "/v1/..;/admin", "/v1/..", "/v1/x/../../admin",
            "/v1/%2e%2e/admin", "/v1/files%5c..%5c..%5cadmin", "/v1/x%00", "/v1/x%zz", "/admin", "/v2/x", "/v1x/y"})
    void aPathThatLeavesV1OrCannotBeReadIsRefused(String raw) {
        StrataException refused = assertThrows(StrataException.class, () -> UpstreamPath.below(raw));
        assertEquals(400, refused.status());
        assertEquals("invalid_request", refused.code());
    }

    @Test
    void dotSegmentsAndEscapesAreResolvedAndEncodedAgain() {
        assertEquals("/y", UpstreamPath.below("/v1/./x/../y"));
        assertEquals("/files/file-abc", UpstreamPath.below("/v1/files/file-abc"));
        assertEquals("/files/a%20b", UpstreamPath.below("/v1/files/a%20b"));
        assertEquals("/files/a/b", UpstreamPath.below("/v1/files/a%2fb"), "an encoded slash is a separator once decoded");
        assertEquals("/x/", UpstreamPath.below("/v1//x/"));
        assertEquals("/v1/y", UpstreamPath.below("/v1/v1/y"));
        assertEquals("/", UpstreamPath.below("/v1"));
    }
}
