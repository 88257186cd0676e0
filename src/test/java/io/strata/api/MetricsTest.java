package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
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
        System.gc(); // gauges must survive a collection
        chat(chatBody(uniquePrompt())).then().statusCode(200);
        String text = given().get(metrics).asString();
        assertTrue(text.contains("strata_cache_requests_total{endpoint=\"chat.completions\",status=\"MISS\"}"), text);
        assertTrue(text.contains("strata_cache_lookup_seconds_count{layer=\"l1\",outcome=\"miss\"}"), text);
        assertTrue(text.contains("strata_cache_lookup_seconds_count{layer=\"l2\",outcome=\"miss\"}"), text);
        assertTrue(text.contains("strata_upstream_seconds_count{status=\"200\"}"), text);
        assertTrue(text.contains("strata_upstream_circuit_state 0.0"), text);
        assertTrue(text.contains("strata_cache_layer_open{layer=\"l1\"} 0.0"), "gauges read their state, not NaN: " + text);
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

    @Test
    void tokensServedFromCacheAreCountedApartFromBilledOnesWithTheMoneySaved() {
        String body = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"" + uniquePrompt() + "\"}]}";
        double billedBefore = value("strata_tokens_total{source=\"provider\",type=\"prompt\"}");
        primeCache(body, java.util.Map.of());
        assertEquals(billedBefore + 11, value("strata_tokens_total{source=\"provider\",type=\"prompt\"}"), 0.001);

        double cachedPrompt = value("strata_tokens_total{source=\"cache\",type=\"prompt\"}");
        double cachedCompletion = value("strata_tokens_total{source=\"cache\",type=\"completion\"}");
        double saved = value("strata_cost_saved_usd_total");
        Response hit = chat(body);
        assertEquals("HIT-L1", status(hit));
        assertEquals(11, hit.jsonPath().getInt("usage.prompt_tokens"), "the client sees the stored usage unchanged");
        assertEquals(cachedPrompt + 11, value("strata_tokens_total{source=\"cache\",type=\"prompt\"}"), 0.001);
        assertEquals(cachedCompletion + 7, value("strata_tokens_total{source=\"cache\",type=\"completion\"}"), 0.001);
        // gpt-4o-2024-08-06 is priced as gpt-4o: 11 x 2.50 + 7 x 10.00 per million tokens
        assertEquals(saved + (11 * 2.50 + 7 * 10.00) / 1_000_000, value("strata_cost_saved_usd_total"), 1e-9);
    }

    @Test
    void adminIsOffWithoutAToken() {
        given().header("Authorization", "Bearer anything").get("/admin/cache/stats").then().statusCode(404);
    }

    private double value(String series) {
        for (String line : given().get(metrics).asString().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).strip());
            }
        }
        return 0;
    }
}
