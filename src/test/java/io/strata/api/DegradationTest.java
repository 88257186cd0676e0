package io.strata.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;

/** A cache layer that goes away makes requests slower, never failed. */
@QuarkusTest
class DegradationTest extends StrataTest {

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
        for (int i = 0; i < 4; i++) {
            Response response = chat(body);
            response.then().statusCode(200);
            assertEquals("MISS", status(response));
        }
        assertEquals(4, Provider.calls());
    }

    @Test
    void slowLayerIsAMissNotAWait() {
        // Redis refusing connections and Postgres refusing them: every lookup must come back quickly as a miss.
        Provider.redisDown();
        Provider.postgresDown();
        long start = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            chat(chatBody(uniquePrompt())).then().statusCode(200);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 10_000, "ten requests with both layers down took " + millis + " ms");
    }

    private static void awaitStatus(String body, String expected) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> expected.equals(status(chat(body, Map.of()))));
    }
}
