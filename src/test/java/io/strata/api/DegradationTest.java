package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;

/** A cache layer that goes away makes requests slower, never failed. */
@QuarkusTest
class DegradationTest extends StrataTest {

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @Test
    void redisDownAnswersFromL2ThenHitsAgainWhenItIsBack() {
        String body = chatBody(uniquePrompt());
        primeCache(body, Map.of());

        Provider.redisDown();
        for (int i = 0; i < 5; i++) {
            Response response = chat(body);
            response.then().statusCode(200);
            assertEquals("HIT-L2", status(response), "L2 answers while Redis is down");
        }
        String other = chatBody(uniquePrompt());
        chat(other).then().statusCode(200);

        Provider.redisUp();
        awaitStatus(body, "HIT-L1");
        assertEquals(2, Provider.calls(), "only the two first asks reached the provider");
    }

    @Test
    void postgresDownStillAnswers() {
        String body = chatBody(uniquePrompt());
        Provider.postgresDown();
        Response first = chat(body);
        first.then().statusCode(200);
        assertEquals("MISS", status(first));
        // L1 still works on its own
        awaitStatus(body, "HIT-L1");
        for (int i = 0; i < 5; i++) {
            chat(chatBody(uniquePrompt())).then().statusCode(200);
        }
        Provider.postgresUp();
    }

    @Test
    void bothDownStillAnswersThroughTheProvider() {
        Provider.redisDown();
        Provider.postgresDown();
        String body = chatBody(uniquePrompt());
        int misses = 0;
        for (int i = 0; i < 4; i++) {
            Response response = chat(body);
            response.then().statusCode(200);
            // a repeat may join the previous flight while its write-back to the dead layers is still failing
            // (the flight lands once the write-back ends): served from that flight, never from a layer
            String status = status(response);
            assertTrue(i == 0 ? status.equals("MISS") : status.equals("MISS") || status.equals("COALESCED"), status);
            misses += status.equals("MISS") ? 1 : 0;
        }
        assertEquals(misses, Provider.calls(), "one provider call per miss");
    }

    @Test
    void slowLayerIsAMissNotAWait() {
        // Both servers accept connections and requests but answer nothing (frozen): every lookup must
        // come back as a miss within its timeout (1 s for L1, 2 s for L2 in tests), and once a layer's
        // breaker opens it is skipped. A warm request first, so a cold start's slowness is not taken for the freeze.
        chat(chatBody(uniquePrompt())).then().statusCode(200);
        double l1Before = timedOut("l1");
        double l2Before = timedOut("l2");
        Provider.redisFreeze();
        Provider.postgresFreeze();
        long slowest = 0;
        for (int i = 0; i < 4; i++) {
            long start = System.nanoTime();
            Response response = chat(chatBody(uniquePrompt()));
            response.then().statusCode(200);
            assertEquals("MISS", status(response));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 4_000, "a request with both layers frozen took " + millis + " ms: a wait, not a miss");
            slowest = Math.max(slowest, millis);
        }
        assertTrue(slowest >= 900, "the layers were really frozen (a lookup ran into its timeout): slowest " + slowest + " ms");
        // the lookups of both layers ran into their timeouts: the freeze reached each of them
        assertTrue(timedOut("l1") > l1Before, "an L1 operation failed or came late while Redis was frozen");
        assertTrue(timedOut("l2") > l2Before, "an L2 operation failed or came late while Postgres was frozen");
        Provider.redisThaw();
        Provider.postgresThaw();
    }

    /** Operations of the layer that failed or came too late (strata_cache_layer_failures_total + strata_cache_layer_late_total). */
    private double timedOut(String layer) {
        double sum = 0;
        for (String line : given().get(metrics).asString().split("\n")) {
            if ((line.startsWith("strata_cache_layer_failures_total{") || line.startsWith("strata_cache_layer_late_total{"))
                    && line.contains("layer=\"" + layer + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static void awaitStatus(String body, String expected) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> expected.equals(status(chat(body, Map.of()))));
    }
}
