package io.strata.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/** Provider errors, timeouts, retries and the circuit breaker. */
@QuarkusTest
class UpstreamFailureTest extends StrataTest {

    private static final String SERVER_ERROR = "{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\",\"param\":null,\"code\":null}}";

    @Inject
    Pool postgres;

    @Test
    void providerErrorPassesThroughAndIsNotCached() {
        Provider.always(Provider.status(500, SERVER_ERROR));
        String body = chatBody(uniquePrompt());
        Response error = chat(body);
        error.then().statusCode(500);
        assertEquals(SERVER_ERROR, error.asString(), "the provider's body passes through unchanged");
        assertEquals("MISS", status(error));
        assertEquals(3, Provider.calls(), "a 5xx is retried twice");
        assertEquals("false", error.header("x-should-retry"), "Strata retried already: the SDK must not multiply the calls");
        assertEquals(0, rows(error.header("X-Cache-Key")), "nothing stored for an error");

        Provider.reset();
        Response next = chat(body);
        next.then().statusCode(200);
        assertEquals("MISS", status(next), "the error was not cached");
    }

    @Test
    void clientErrorIsNotRetriedAndNotCached() {
        Provider.always(
                Provider.status(400, "{\"error\":{\"message\":\"bad\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}"));
        String body = chatBody(uniquePrompt());
        Response refused = chat(body);
        refused.then().statusCode(400);
        assertNull(refused.header("x-should-retry"), "not retried by Strata: nothing to say");
        assertEquals(1, Provider.calls());
        Provider.reset();
        assertEquals("MISS", status(chat(body)));
    }

    @Test
    void transientServerErrorIsRetriedAndTheAnswerCached() {
        Provider.script(Provider.status(503, SERVER_ERROR));
        String body = chatBody(uniquePrompt());
        Response response = chat(body);
        response.then().statusCode(200);
        assertEquals("answer #2", response.jsonPath().getString("choices[0].message.content"));
        await().atMost(Duration.ofSeconds(5)).until(() -> "HIT-L1".equals(status(chat(body))));
    }

    @Test
    void providerRateLimitWithShortRetryAfterIsRetriedAndLongOnePassesThrough() {
        Provider.script(new JsonObject().put("status", 429).put("body", "{\"error\":{\"message\":\"slow down\"}}")
                .put("headers", new JsonObject().put("retry-after-ms", "50")));
        chat(chatBody(uniquePrompt())).then().statusCode(200);
        assertEquals(2, Provider.calls());

        Provider.reset();
        Provider.always(new JsonObject().put("status", 429).put("body", "{\"error\":{\"message\":\"slow down\"}}")
                .put("headers", new JsonObject().put("retry-after", "30")));
        Response limited = chat(chatBody(uniquePrompt()));
        limited.then().statusCode(429);
        assertEquals("30", limited.header("retry-after"), "the provider's Retry-After reaches the client");
        assertEquals(1, Provider.calls(), "a long Retry-After is not waited for: the client's SDK retries");
    }

    @Test
    void timeoutWithAnExpiredEntryAnswersStale() {
        String body = chatBody(uniquePrompt());
        String key = chat(body, Map.of("X-Cache-TTL", "1")).header("X-Cache-Key");
        await().atMost(Duration.ofSeconds(5)).until(() -> rows(key) == 1);
        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ofMillis(1100)).until(() -> true);

        Provider.always(Provider.delayed(3_000));
        long start = System.nanoTime();
        Response stale = chat(body);
        long millis = (System.nanoTime() - start) / 1_000_000;
        stale.then().statusCode(200);
        assertEquals("STALE", status(stale));
        assertEquals("answer #1", stale.jsonPath().getString("choices[0].message.content"));
        assertTrue(millis < 2_900, "answered at the timeout, not when the provider finished: " + millis + " ms");
    }

    @Test
    void timeoutWithoutAnEntryAnswers504() {
        Provider.always(Provider.delayed(3_000));
        Response timeout = chat(chatBody(uniquePrompt()));
        timeout.then().statusCode(504);
        assertNull(timeout.header("x-should-retry"), "a timeout is not retried by Strata");
        assertEquals("upstream_timeout", timeout.jsonPath().getString("error.code"));
        assertEquals("MISS", status(timeout));
    }

    @Test
    void openCircuitWithoutAnEntryAnswers503() {
        Provider.always(Provider.status(500, SERVER_ERROR));
        for (int i = 0; i < 3; i++) {
            chat(chatBody(uniquePrompt()));
        }
        int callsWhenOpen = Provider.calls();
        Response open = chat(chatBody(uniquePrompt()));
        open.then().statusCode(503);
        assertEquals("upstream_unavailable", open.jsonPath().getString("error.code"));
        assertEquals("server_error", open.jsonPath().getString("error.type"));
        assertEquals(callsWhenOpen, Provider.calls(), "an open circuit does not call the provider");
    }

    @Test
    void providerAnsweringGarbageIs502() {
        Provider.always(Provider.status(200, "<html>not json</html>"));
        Response garbage = chat(chatBody(uniquePrompt()));
        garbage.then().statusCode(502);
        assertEquals("upstream_bad_response", garbage.jsonPath().getString("error.code"));
    }

    @Test
    void unreachableProviderIs502AndRetried() {
        Provider.always(new JsonObject().put("drop", true));
        Response unreachable = chat(chatBody(uniquePrompt()));
        unreachable.then().statusCode(502);
        assertEquals("upstream_unavailable", unreachable.jsonPath().getString("error.code"));
        assertEquals("false", unreachable.header("x-should-retry"));
        assertEquals(3, Provider.calls());
    }

    private int rows(String key) {
        return postgres.preparedQuery("SELECT 1 FROM strata_cache_entries WHERE cache_key = $1").execute(Tuple.of(key))
                .await().indefinitely().size();
    }
}
