package io.strata.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.strata.testing.H2c;
import io.strata.testing.Provider;
import io.strata.testing.Sse;
import io.strata.testing.StrataTest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.json.JsonObject;

/**
 * Concurrent large bodies cannot exhaust the heap: while the bodies in flight hold their limit, a
 * request whose body does not fit answers 503 overloaded with Retry-After, and the bytes are given
 * back when each exchange ends.
 */
@QuarkusTest
@TestProfile(BodiesInFlightTest.SmallBudget.class)
class BodiesInFlightTest extends StrataTest {

    public static class SmallBudget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strata.api.max-bodies-in-flight", "100K", "strata.api.max-body-size", "90K", "strata.upstream.timeout", "5s");
        }
    }

    @Inject
    BodiesInFlight bodies;

    private static String bodyOf(int bytes) {
        String prompt = uniquePrompt();
        return chatBody(prompt + " " + "x".repeat(Math.max(0, bytes - prompt.length() - 80)));
    }

    @Test
    void aBodyThatDoesNotFitIsRefusedWithRetryAfterAndTheBytesComeBack() {
        await().atMost(Duration.ofSeconds(10)).until(() -> bodies.held() == 0); // nothing left by an earlier test
        Provider.always(Provider.delayed(2_000));
        CompletableFuture<Response> holding = CompletableFuture.supplyAsync(() -> chat(bodyOf(80_000)));
        await().atMost(Duration.ofSeconds(10)).until(() -> bodies.held() >= 70_000 || holding.isDone());
        assertFalse(holding.isDone(), "the first request is still held: " + (holding.isDone() ? holding.join().asString() : ""));

        Response refused = chat(bodyOf(40_000));
        refused.then().statusCode(503);
        assertEquals("overloaded", refused.jsonPath().getString("error.code"));
        assertEquals("server_error", refused.jsonPath().getString("error.type"));
        assertEquals("1", refused.header("Retry-After"));
        chat(bodyOf(2_000)).then().statusCode(200); // a small one still fits

        assertEquals(200, holding.join().statusCode());
        await().atMost(Duration.ofSeconds(10)).until(() -> bodies.held() == 0);
        Provider.reset();
        chat(bodyOf(40_000)).then().statusCode(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> bodies.held() == 0); // given back once the answer is sent
    }

    @TestHTTPResource("/v1/chat/completions")
    URI chatUrl;

    @Test
    void aStreamedClientThatLeavesGivesItsBytesBack() {
        Provider.always(new JsonObject().put("chunkDelayMs", 300));
        String body = "{\"model\":\"gpt-test\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + uniquePrompt()
                + " " + "y".repeat(20_000) + "\"}]}";
        Sse.post(chatUrl, body, Map.of("Cache-Control", "no-store"), 1); // leaves after the first event
        await().atMost(Duration.ofSeconds(10)).until(() -> bodies.held() == 0);
    }

    @TestHTTPResource("/")
    URI base;

    /**
     * HTTP/2: a body over the limit ends its own stream (413, then the stream reset so the client stops
     * sending), not the connection: a slow request on the same connection is still answered.
     */
    @Test
    void anHttp2BodyOverTheLimitEndsOnlyItsStream() throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(() -> bodies.held() == 0);
        Provider.script(Provider.delayed(1_500)); // the first call (the slow stream) waits, the next ones answer at once
        Vertx vertx = Vertx.vertx();
        try {
            HttpClient http = H2c.client(vertx, base.getHost(), base.getPort());
            List<HttpConnection> connections = new CopyOnWriteArrayList<>();
            http.connectionHandler(connections::add);
            Future<String> slow = H2c.chat(http, bodyOf(2_000));
            long deadline = System.currentTimeMillis() + 5_000;
            while (Provider.calls() < 1 && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            String tooLarge = H2c.chat(http, bodyOf(200_000)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertTrue(tooLarge.startsWith("413 ") && tooLarge.contains("\"type\""), "an OpenAI-shaped 413: " + tooLarge);
            String answer = slow.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertTrue(answer.startsWith("200 "), "the slow stream on the same connection is answered: " + answer);
            assertEquals(1, connections.size(), "both went over one connection");
            assertTrue(
                    H2c.chat(http, bodyOf(2_000)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).startsWith("200 "));
            assertEquals(1, connections.size(), "the connection is still in use");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void oneBodyIsAlwaysAdmittedWhenNothingElseIsHeld() {
        BodiesInFlight budget = new BodiesInFlight(100, new SimpleMeterRegistry());
        assertTrue(budget.tryHold(500), "alone, a body under the body limit is never refused");
        assertFalse(budget.tryHold(1));
        budget.release(500);
        assertTrue(budget.tryHold(60));
        assertTrue(budget.tryHold(40));
        assertFalse(budget.tryHold(1));
    }
}
