package io.strata.it;

import static io.restassured.RestAssured.given;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import io.quarkus.test.common.QuarkusTestResource;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.strata.testing.Provider;
import io.strata.testing.Sse;

/**
 * Base of the tests that run against the packaged application (@QuarkusIntegrationTest): the jar
 * in `./mvnw verify`, the native executable with `-Dnative`. Everything goes over HTTP, as a
 * client sees it; the Redis, Postgres and fake provider of {@code TestServers} are the same as
 * for the @QuarkusTest classes, and the app runs with the test profile's runtime settings
 * (quarkus.test.integration-test-profile=test).
 */
@QuarkusTestResource(value = PackagedAppSettings.class, restrictToAnnotatedClass = true)
abstract class PackagedAppTest {

    protected static Stores stores;
    private static boolean warm;

    @BeforeAll
    static void openStores() {
        stores = new Stores();
        warm = false;
    }

    /** No bean to reset the provider breaker with: wait until a test that made the provider fail no longer keeps it open. */
    @BeforeEach
    void freshProvider() {
        if (!warm) {
            warmUp();
            warm = true;
        }
        Provider.reset();
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> !breakerOpen());
    }

    /**
     * A freshly started artifact opens its Redis, Postgres and provider connections, and compiles
     * its code, on its first requests: on a loaded machine the first one can take longer than the
     * test profile's 1.5 s provider timeout. Warmed up before a class's first test (not in
     * {@code @BeforeAll}: RestAssured learns the app's port only before each test).
     */
    private static void warmUp() {
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> chat(chatBody("warm-up " + UUID.randomUUID())).statusCode() == 200);
        for (int i = 0; i < 3; i++) {
            chat(chatBody("warm-up " + UUID.randomUUID()));
            Sse.post(uri("/v1/chat/completions"), streamBody("warm-up " + UUID.randomUUID()), Map.of());
        }
    }

    private static boolean breakerOpen() {
        return metrics().lines().anyMatch(line -> line.startsWith("strata_upstream_circuit_state") && line.endsWith(" 2.0"));
    }

    protected static URI uri(String path) {
        return URI.create("http://localhost:" + RestAssured.port + path);
    }

    protected static String metrics() {
        return given().port(Integer.getInteger(PackagedAppSettings.MANAGEMENT_PORT)).get("/q/metrics").asString();
    }

    protected static String uniquePrompt() {
        return "prompt " + UUID.randomUUID();
    }

    protected static String chatBody(String prompt) {
        return "{\"model\":\"gpt-test\",\"temperature\":0.2,\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    protected static String streamBody(String prompt) {
        return "{\"model\":\"gpt-test\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
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

    protected static String status(Response response) {
        return response.header("X-Cache-Status");
    }

    /** Waits for the asynchronous write-back to reach L1 without sending requests that would count as calls. */
    protected static void awaitInL1(String cacheKey) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> stores.inL1(cacheKey));
    }

    protected static void awaitInL2(String cacheKey) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> stores.count("SELECT count(*) FROM strata_cache_entries WHERE cache_key = $1", cacheKey) == 1);
    }
}
