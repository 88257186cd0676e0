package io.strata.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;

import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.strata.testing.Provider;
import io.strata.testing.Sse;
import io.vertx.core.json.JsonObject;

/** Streaming through the packaged app's cache: relay, replay, assembled entries, cut streams. */
@QuarkusIntegrationTest
class StreamingIT extends PackagedAppTest {

    @Test
    void sdkStreamingYieldsTheSameTextOnMissAndHitAndAStoredAnswerReplaysAsChunks() {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(uri("/v1").toString()).apiKey("sk-test-a").maxRetries(0).build();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("gpt-test").addUserMessage(uniquePrompt()).build();

        HttpResponseFor<StreamResponse<ChatCompletionChunk>> miss = client.chat().completions().withRawResponse().createStreaming(params);
        assertEquals("MISS", miss.headers().values("X-Cache-Status").get(0));
        assertEquals("answer #1", accumulate(miss.parse()).choices().get(0).message().content().orElseThrow());
        awaitInL1(miss.headers().values("X-Cache-Key").get(0));

        ChatCompletion plainHit = client.chat().completions().create(params);
        assertEquals("answer #1", plainHit.choices().get(0).message().content().orElseThrow());
        assertEquals(18, plainHit.usage().orElseThrow().totalTokens(), "the stored entry has the usage Strata asked for");
        HttpResponseFor<StreamResponse<ChatCompletionChunk>> hit = client.chat().completions().withRawResponse().createStreaming(params);
        assertEquals("HIT-L1", hit.headers().values("X-Cache-Status").get(0));
        assertEquals("answer #1", accumulate(hit.parse()).choices().get(0).message().content().orElseThrow());
        assertEquals(1, Provider.calls());
    }

    private static ChatCompletion accumulate(StreamResponse<ChatCompletionChunk> stream) {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        try (stream) {
            stream.stream().forEach(accumulator::accumulate);
        }
        return accumulator.chatCompletion();
    }

    @Test
    void eventsAreRelayedAsTheProviderSendsThem() {
        Provider.script(new JsonObject().put("chunkDelayMs", 150));
        Sse.Reply reply = Sse.post(uri("/v1/chat/completions"), streamBody(uniquePrompt()), Map.of());
        assertEquals("text/event-stream", reply.header("Content-Type"));
        assertTrue(reply.endsWithDone());
        assertFalse(reply.hasUsageChunk(), "the client did not ask for usage");
        List<Long> at = reply.arrivals();
        assertTrue(at.get(1) - at.get(0) >= 80, "first two events arrived " + (at.get(1) - at.get(0)) + " ms apart: " + at);
        assertTrue(at.get(at.size() - 1) - at.get(0) >= 4 * 80, "the stream was buffered: " + at);
        assertTrue(Provider.requests().get(0).json().getJsonObject("stream_options").getBoolean("include_usage"),
                "Strata asks the provider for usage");
    }

    @Test
    void streamCutByTheProviderEndsWithAnErrorEventAndStoresNothing() {
        Provider.script(new JsonObject().put("cutAfter", 2));
        String prompt = uniquePrompt();
        Sse.Reply cut = Sse.post(uri("/v1/chat/completions"), streamBody(prompt), Map.of());
        assertEquals(200, cut.status());
        String last = cut.data().get(cut.data().size() - 1);
        assertEquals("upstream_bad_response", new JsonObject(last).getJsonObject("error").getString("code"));
        assertFalse(cut.endsWithDone());
        await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> true);
        assertEquals(0, stores.count("SELECT count(*) FROM strata_cache_entries WHERE cache_key = $1", cut.header("X-Cache-Key")));
        Sse.Reply again = Sse.post(uri("/v1/chat/completions"), streamBody(prompt), Map.of());
        assertEquals("MISS", again.header("X-Cache-Status"));
        assertEquals("answer #2", again.text());
    }

    @Test
    void legacyCompletionsStreamAndReplay() {
        String body = "{\"model\":\"gpt-test\",\"stream\":true,\"prompt\":\"" + uniquePrompt() + "\"}";
        Sse.Reply miss = Sse.post(uri("/v1/completions"), body, Map.of());
        assertEquals("answer #1", miss.text());
        awaitInL1(miss.header("X-Cache-Key"));
        Sse.Reply hit = Sse.post(uri("/v1/completions"), body, Map.of());
        assertEquals("HIT-L1", hit.header("X-Cache-Status"));
        assertEquals("answer #1", hit.text());
    }
}
