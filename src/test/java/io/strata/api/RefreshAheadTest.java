package io.strata.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;

/** A popular entry near expiry is refreshed in the background: clients keep hitting, never miss. */
@QuarkusTest
@TestProfile(RefreshAheadTest.Enabled.class)
class RefreshAheadTest extends StrataTest {

    public static class Enabled implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "strata.cache.refresh-ahead.enabled", "true",
                    "strata.cache.refresh-ahead.min-hits", "3",
                    "strata.cache.refresh-ahead.remaining-ratio", "0.6");
        }
    }

    @Test
    void popularEntryNearExpiryIsReplacedBeforeItExpires() throws Exception {
        String body = chatBody(uniquePrompt());
        primeCache(body, Map.of("X-Cache-TTL", "5"));
        // fewer hits than min-hits, or too early in the TTL: no refresh
        for (int i = 0; i < 5; i++) {
            assertEquals("HIT-L1", status(chat(body)));
        }
        assertEquals(1, Provider.calls(), "not near expiry yet: no refresh");

        Thread.sleep(2_200); // now less than 60 % of the 5 s TTL remains
        for (int i = 0; i < 3; i++) {
            assertEquals("HIT-L1", status(chat(body)));
        }
        await().atMost(Duration.ofSeconds(5))
                .until(() -> "answer #2".equals(chat(body).jsonPath().getString("choices[0].message.content")));
        assertEquals(2, Provider.calls(), "exactly one background refresh");
        assertEquals("HIT-L1", status(chat(body)));
    }

    @Test
    void rarelyHitEntryIsNotRefreshed() throws Exception {
        String body = chatBody(uniquePrompt());
        primeCache(body, Map.of("X-Cache-TTL", "3"));
        Thread.sleep(1_500);
        assertEquals("HIT-L1", status(chat(body)));
        Thread.sleep(300);
        assertEquals(1, Provider.calls());
    }

    @Test
    void entriesHitByStreamingClientsAreRefreshedToo() throws Exception {
        String prompt = uniquePrompt();
        String streamed = "{\"model\":\"gpt-test\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
        primeCache(chatBody(prompt).replace("\"temperature\":0.2,", ""), Map.of("X-Cache-TTL", "5"));
        Thread.sleep(2_200);
        for (int i = 0; i < 3; i++) {
            assertEquals("HIT-L1", client().body(streamed).post("/v1/chat/completions").header("X-Cache-Status"));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> Provider.calls() == 2);
        assertEquals(null, Provider.requests().get(1).json().getValue("stream"), "the refresh asks for the whole answer");
    }
}
