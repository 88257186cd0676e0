package io.strata.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;
import io.strata.testing.TestRedis;

/** The provider budget shared through Redis: requests and tokens per minute, reserved then corrected. */
@QuarkusTest
@TestProfile(SharedBudgetTest.Budgeted.class)
class SharedBudgetTest extends StrataTest {

    public static class Budgeted implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "strata.upstream.budget.requests-per-minute", "5",
                    "strata.upstream.budget.tokens-per-minute", "2000",
                    "strata.upstream.budget.timeout", "1s");
        }
    }

    @Inject
    TestRedis redis;

    private String minute;

    @BeforeEach
    void freshMinute() throws InterruptedException {
        long second = (System.currentTimeMillis() / 1000) % 60;
        if (second >= 50) {
            Thread.sleep((61 - second) * 1000); // keep each test inside one budget minute
        }
        minute = Long.toString(System.currentTimeMillis() / 60_000);
        redis.del("strata:budget:{" + minute + "}:req", "strata:budget:{" + minute + "}:tok");
    }

    @Test
    void spentRequestBudgetAnswers429WithoutCallingTheProviderButHitsStillAnswer() {
        String cached = chatBody(uniquePrompt());
        primeCache(cached, Map.of());
        redis.set("strata:budget:{" + minute + "}:req", "5"); // other instances spent the minute

        Response refused = chat(chatBody(uniquePrompt()));
        refused.then().statusCode(429);
        assertEquals("rate_limited", refused.jsonPath().getString("error.code"));
        assertNotNull(refused.header("Retry-After"));
        assertEquals(1, Provider.calls());
        assertEquals("HIT-L1", status(chat(cached)), "the budget limits provider calls, not hits");
    }

    @Test
    void tokenBudgetRefusesACallWhoseEstimateDoesNotFit() {
        String big = "{\"model\":\"gpt-test\",\"max_tokens\":5000,\"messages\":[{\"role\":\"user\",\"content\":\"" + uniquePrompt()
                + "\"}]}";
        chat(big).then().statusCode(429);
        assertEquals(0, Provider.calls());
        assertEquals("0", redis.get("strata:budget:{" + minute + "}:req"), "a refused reservation is given back");
    }

    @Test
    void reservationIsCorrectedWithTheReportedUsage() {
        String body = "{\"model\":\"gpt-test\",\"max_tokens\":300,\"messages\":[{\"role\":\"user\",\"content\":\"" + uniquePrompt()
                + "\"}]}";
        chat(body).then().statusCode(200);
        assertEquals("1", redis.get("strata:budget:{" + minute + "}:req"));
        // the fake provider reports total_tokens 18: the estimate (over 300) is replaced by it
        await().atMost(Duration.ofSeconds(5)).until(() -> "18".equals(redis.get("strata:budget:{" + minute + "}:tok")));
    }

    @Test
    void budgetIsSkippedWhileRedisIsAway() {
        Provider.redisDown();
        chat(chatBody(uniquePrompt())).then().statusCode(200);
        assertEquals(1, Provider.calls());
    }

    @Test
    void streamedCallIsCorrectedWithTheUsageOfItsLastChunk() {
        String body = "{\"model\":\"gpt-test\",\"stream\":true,\"max_tokens\":300,\"messages\":[{\"role\":\"user\",\"content\":\""
                + uniquePrompt() + "\"}]}";
        client().body(body).post("/v1/chat/completions").then().statusCode(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> "18".equals(redis.get("strata:budget:{" + minute + "}:tok")));
    }
}
