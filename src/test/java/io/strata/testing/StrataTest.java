package io.strata.testing;

import static io.restassured.RestAssured.given;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import io.quarkus.test.common.QuarkusTestResource;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.strata.cache.Layer;
import io.strata.cache.LayeredCache;
import io.strata.upstream.GuardedUpstream;

/** Base of the HTTP-level tests: fresh provider state and a closed breaker before each test, and request helpers. */
@QuarkusTestResource(TestServers.class)
public abstract class StrataTest {

    @Inject
    GuardedUpstream upstream;

    @Inject
    TestRedis redisForTests;

    @Inject
    protected LayeredCache layers;

    @BeforeEach
    void resetProvider() {
        Provider.reset();
        upstream.resetCircuitBreaker();
    }

    /** Whatever a test took down comes back, and the next test does not start while a layer is still skipped. */
    @AfterEach
    void layersBack() {
        Provider.redisUp();
        Provider.postgresUp();
        Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> !layers.isSkipping(Layer.L1) && !layers.isSkipping(Layer.L2));
    }

    /** A prompt no other test sends, so every test starts from an empty cache. */
    protected static String uniquePrompt() {
        return "prompt " + UUID.randomUUID();
    }

    protected static String chatBody(String prompt) {
        return "{\"model\":\"gpt-test\",\"temperature\":0.2,\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    protected static RequestSpecification client() {
        return given().header("Authorization", "Bearer sk-test-a").contentType("application/json");
    }

    protected static Response chat(String body) {
        return chat(body, Map.of());
    }

    protected static Response chat(String body, Map<String, String> headers) {
        return client().headers(headers).body(body).post("/v1/chat/completions");
    }

    /** Waits for the asynchronous write-back to land in L1, without sending requests that would count as calls. */
    protected void awaitInL1(String cacheKey) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> redisForTests.exists("strata:v1:" + cacheKey));
    }

    /** Sends the request and waits until its answer is in L1. */
    protected void primeCache(String body, Map<String, String> headers) {
        Response response = chat(body, headers);
        response.then().statusCode(200);
        awaitInL1(response.header("X-Cache-Key"));
    }

    protected static String status(Response response) {
        return response.header("X-Cache-Status");
    }
}
