package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;

/** Metrics and health live on the management port. */
@QuarkusTest
class MetricsTest extends StrataTest {

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @TestHTTPResource(value = "/health/ready", management = true)
    URL ready;

    @Test
    void cacheRequestsAndLookupsAreCountedByEndpointStatusAndLayer() {
        chat(chatBody(uniquePrompt())).then().statusCode(200);
        String text = given().get(metrics).asString();
        assertTrue(text.contains("strata_cache_requests_total{endpoint=\"chat.completions\",status=\"MISS\"}"), text);
        assertTrue(text.contains("strata_cache_lookup_seconds_count{layer=\"l1\",outcome=\"miss\"}"), text);
        assertTrue(text.contains("strata_cache_lookup_seconds_count{layer=\"l2\",outcome=\"miss\"}"), text);
        assertTrue(text.contains("strata_upstream_seconds_count{status=\"200\"}"), text);
        assertTrue(text.contains("strata_upstream_circuit_state"), text);
    }

    @Test
    void healthIsOnTheManagementPortAndTheApiPortHasNone() {
        given().get(ready).then().statusCode(200);
        given().get("/q/health").then().statusCode(404);
    }

    @Test
    void readinessStaysUpWithACacheLayerDownAndReportsIt() {
        Provider.redisDown();
        try {
            var response = given().get(ready);
            response.then().statusCode(200);
            assertEquals("down", response.jsonPath().getString("checks.find { it.name == 'strata' }.data.redis"));
            assertEquals("up", response.jsonPath().getString("checks.find { it.name == 'strata' }.data.postgres"));
        } finally {
            Provider.redisUp();
        }
    }
}
