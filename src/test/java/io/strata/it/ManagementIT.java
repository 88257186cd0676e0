package io.strata.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The packaged app's management port: health, Prometheus metrics and the OpenAPI document. */
@QuarkusIntegrationTest
class ManagementIT extends PackagedAppTest {

    @Test
    void healthMetricsAndOpenApiAnswer() {
        int management = Integer.getInteger(PackagedAppSettings.MANAGEMENT_PORT);
        given().port(management).get("/q/health/live").then().statusCode(200);
        given().port(management).get("/q/health/ready").then().statusCode(200);
        chat(chatBody(uniquePrompt())).then().statusCode(200);
        String metrics = metrics();
        assertTrue(metrics.contains("strata_cache_requests_total{"), "Strata's own counters are exported");
        assertTrue(metrics.contains("jvm_") || metrics.contains("process_"), "the process binders run");
        given().port(management).get("/q/openapi").then().statusCode(200);
        client().get("/q/metrics").then().statusCode(404);
    }
}
