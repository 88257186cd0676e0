package io.strata.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strata.testing.Provider;
import io.strata.testing.Sse;
import io.strata.testing.StrataTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** A streamed answer is bounded by strata.upstream.max-response-size like a whole one: it is assembled and stored too. */
@QuarkusTest
@TestProfile(StreamLimitTest.SmallAnswers.class)
class StreamLimitTest extends StrataTest {

    public static class SmallAnswers implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strata.upstream.max-response-size", "4K");
        }
    }

    @TestHTTPResource("/v1/chat/completions")
    URI chatUrl;

    @Test
    void aStreamOverTheLimitIsCutWithAnErrorEvent() {
        JsonArray events = new JsonArray();
        for (int i = 0; i < 100; i++) {
            events.add(new JsonObject().put("id", "c1").put("object", "chat.completion.chunk").put("created", 1).put("model", "gpt-test")
                    .put("choices", new JsonArray().add(new JsonObject().put("index", 0)
                            .put("delta", new JsonObject().put("content", "x".repeat(80))).putNull("finish_reason")))
                    .encode());
        }
        events.add("[DONE]");
        Provider.always(new JsonObject().put("events", events));
        String body = "{\"model\":\"gpt-test\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + uniquePrompt() + "\"}]}";
        Sse.Reply cut = Sse.post(chatUrl, body, Map.of());
        assertEquals(200, cut.status());
        String last = cut.data().get(cut.data().size() - 1);
        assertEquals("upstream_bad_response", new JsonObject(last).getJsonObject("error").getString("code"), last);
        assertFalse(cut.endsWithDone());
        assertTrue(cut.data().size() < 60, "cut near 4 KB, not relayed whole: " + cut.data().size() + " events");
    }
}
