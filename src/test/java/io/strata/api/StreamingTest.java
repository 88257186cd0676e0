package io.strata.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.proxy.SingleFlight;
import io.strata.testing.Provider;
import io.strata.testing.Sse;
import io.strata.testing.StrataTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/** Streaming through the cache and single-flight inside one instance. */
@QuarkusTest
class StreamingTest extends StrataTest {

    @TestHTTPResource("/v1/chat/completions")
    URI chatUrl;

    @TestHTTPResource("/v1")
    URL baseUrl;

    @Inject
    Pool postgres;

    @Inject
    SingleFlight flights;

    private static String streamBody(String prompt, boolean includeUsage) {
        return "{\"model\":\"gpt-test\",\"stream\":true," + (includeUsage ? "\"stream_options\":{\"include_usage\":true}," : "")
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    @Test
    void sdkStreamingYieldsTheSameTextAsNonStreamingOnMissAndHit() {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(baseUrl.toString()).apiKey("sk-test-a").maxRetries(0).build();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("gpt-test").addUserMessage(uniquePrompt()).build();

        HttpResponseFor<StreamResponse<ChatCompletionChunk>> miss = client.chat().completions().withRawResponse().createStreaming(params);
        assertEquals("MISS", miss.headers().values("X-Cache-Status").get(0));
        ChatCompletion streamedMiss = accumulate(miss.parse());
        assertEquals("answer #1", streamedMiss.choices().get(0).message().content().orElseThrow());

        awaitInL1(miss.headers().values("X-Cache-Key").get(0));
        ChatCompletion plainHit = client.chat().completions().create(params);
        assertEquals("answer #1", plainHit.choices().get(0).message().content().orElseThrow());
        assertEquals(18, plainHit.usage().orElseThrow().totalTokens(), "the stored entry has the usage Strata asked for");

        HttpResponseFor<StreamResponse<ChatCompletionChunk>> hit = client.chat().completions().withRawResponse().createStreaming(params);
        assertEquals("HIT-L1", hit.headers().values("X-Cache-Status").get(0));
        assertEquals("answer #1", accumulate(hit.parse()).choices().get(0).message().content().orElseThrow());
        assertEquals(1, Provider.calls());

        // and the other way round: an entry stored from a non-streamed answer replays as chunks
        ChatCompletionCreateParams other = ChatCompletionCreateParams.builder().model("gpt-test").addUserMessage(uniquePrompt()).build();
        HttpResponseFor<ChatCompletion> plainMiss = client.chat().completions().withRawResponse().create(other);
        awaitInL1(plainMiss.headers().values("X-Cache-Key").get(0));
        HttpResponseFor<StreamResponse<ChatCompletionChunk>> synthesised = client.chat().completions().withRawResponse()
                .createStreaming(other);
        assertEquals("HIT-L1", synthesised.headers().values("X-Cache-Status").get(0));
        assertEquals(plainMiss.parse().choices().get(0).message().content(),
                accumulate(synthesised.parse()).choices().get(0).message().content());
    }

    private static ChatCompletion accumulate(StreamResponse<ChatCompletionChunk> stream) {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        try (stream) {
            stream.stream().forEach(accumulator::accumulate);
        }
        return accumulator.chatCompletion();
    }

    @Test
    void usageChunkOnlyWhenAskedAndIncludeUsageIsSetUpstream() {
        String prompt = uniquePrompt();
        Sse.Reply without = Sse.post(chatUrl, streamBody(prompt, false), Map.of());
        assertEquals(200, without.status());
        assertEquals("MISS", without.header("X-Cache-Status"));
        assertEquals("text/event-stream", without.header("Content-Type"));
        assertFalse(without.hasUsageChunk(), "the client did not ask for usage");
        assertTrue(without.endsWithDone());
        JsonObject sent = Provider.requests().get(0).json();
        assertTrue(sent.getJsonObject("stream_options").getBoolean("include_usage"), "Strata asks the provider for usage");

        awaitInL1(without.header("X-Cache-Key"));
        Sse.Reply hitWithout = Sse.post(chatUrl, streamBody(prompt, false), Map.of());
        assertEquals("HIT-L1", hitWithout.header("X-Cache-Status"));
        assertFalse(hitWithout.hasUsageChunk());
        Sse.Reply hitWith = Sse.post(chatUrl, streamBody(prompt, true), Map.of());
        assertEquals("HIT-L1", hitWith.header("X-Cache-Status"), "include_usage does not change the key");
        assertTrue(hitWith.hasUsageChunk());
        assertEquals(18, hitWith.chunks().get(hitWith.chunks().size() - 1).getJsonObject("usage").getInteger("total_tokens"));
        assertEquals(1, Provider.calls());
    }

    @Test
    void toolCallDeltasSurviveAReplay() {
        String base = "{\"id\":\"c9\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"gpt-test-1\",\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":%s}]}";
        JsonArray events = new JsonArray()
                .add(String.format(base,
                        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_7\",\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"arguments\":\"\"}}]}",
                        "null"))
                .add(String.format(base, "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"q\\\":\"}}]}", "null"))
                .add(String.format(base, "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"x\\\"}\"}}]}", "null"))
                .add(String.format(base, "{}", "\"tool_calls\""))
                .add("{\"id\":\"c9\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"gpt-test-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}")
                .add("[DONE]");
        Provider.script(new JsonObject().put("events", events));
        String prompt = uniquePrompt();
        Sse.Reply miss = Sse.post(chatUrl, streamBody(prompt, true), Map.of());
        awaitInL1(miss.header("X-Cache-Key"));

        Sse.Reply replay = Sse.post(chatUrl, streamBody(prompt, true), Map.of());
        assertEquals("HIT-L1", replay.header("X-Cache-Status"));
        assertEquals(miss.data(), replay.data(), "a streamed hit replays the chunks as they were received");

        Response plain = chat("{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}");
        assertEquals("HIT-L1", status(plain));
        assertEquals("lookup", plain.jsonPath().getString("choices[0].message.tool_calls[0].function.name"));
        assertEquals("{\"q\":\"x\"}", plain.jsonPath().getString("choices[0].message.tool_calls[0].function.arguments"));
        assertEquals("tool_calls", plain.jsonPath().getString("choices[0].finish_reason"));
        assertEquals(7, plain.jsonPath().getInt("usage.total_tokens"));
        assertEquals(1, Provider.calls());
    }

    @Test
    void firstChunkArrivesBeforeTheProviderSendsTheSecond() {
        Provider.script(new JsonObject().put("chunkDelayMs", 150));
        Sse.Reply reply = Sse.post(chatUrl, streamBody(uniquePrompt(), false), Map.of());
        assertTrue(reply.endsWithDone());
        List<Long> at = reply.arrivals();
        // chunks leave the provider 150 ms apart; relayed as they come, they arrive about as far apart
        assertTrue(at.get(1) - at.get(0) >= 80, "first two events arrived " + (at.get(1) - at.get(0)) + " ms apart: " + at);
        assertTrue(at.get(at.size() - 1) - at.get(0) >= 4 * 80, "the stream was buffered: " + at);
    }

    @Test
    void twentyIdenticalConcurrentRequestsMixedStreamAndNotCauseOneProviderCall() throws Exception {
        Provider.script(new JsonObject().put("delayMs", 300).put("chunkDelayMs", 50));
        String prompt = uniquePrompt();
        ExecutorService pool = Executors.newFixedThreadPool(20);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String[]>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                boolean streamed = i % 2 == 0;
                answers.add(pool.submit((Callable<String[]>) () -> {
                    go.await();
                    if (streamed) {
                        Sse.Reply reply = Sse.post(chatUrl, streamBody(prompt, false), Map.of());
                        return new String[]{reply.header("X-Cache-Status"), reply.text(), Boolean.toString(reply.endsWithDone())};
                    }
                    Response response = chat("{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}");
                    return new String[]{status(response), response.jsonPath().getString("choices[0].message.content"), "true"};
                }));
            }
            go.countDown();
            int misses = 0;
            for (Future<String[]> answer : answers) {
                String[] result = answer.get();
                assertEquals("answer #1", result[1]);
                assertEquals("true", result[2]);
                misses += "MISS".equals(result[0]) ? 1 : 0;
                assertTrue(List.of("MISS", "COALESCED", "HIT-L1", "HIT-L2").contains(result[0]), result[0]);
            }
            assertEquals(1, misses, "one leader");
            assertEquals(1, Provider.calls(), "twenty identical requests, one provider call");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void clientThatDisconnectsAfterTheFirstChunkStillLeavesAStoredEntry() {
        Provider.script(new JsonObject().put("chunkDelayMs", 100));
        String prompt = uniquePrompt();
        Sse.Reply partial = Sse.post(chatUrl, streamBody(prompt, false), Map.of(), 1);
        assertEquals(1, partial.data().size());
        String key = partial.header("X-Cache-Key");
        awaitInL1(key);
        Sse.Reply hit = Sse.post(chatUrl, streamBody(prompt, false), Map.of());
        assertEquals("HIT-L1", hit.header("X-Cache-Status"));
        assertEquals("answer #1", hit.text());
        assertEquals(1, Provider.calls());
    }

    @Test
    void streamCutByTheProviderEndsWithAnErrorEventAndStoresNothing() throws Exception {
        Provider.script(new JsonObject().put("cutAfter", 2));
        String prompt = uniquePrompt();
        Sse.Reply cut = Sse.post(chatUrl, streamBody(prompt, false), Map.of());
        assertEquals(200, cut.status());
        String last = cut.data().get(cut.data().size() - 1);
        assertEquals("upstream_bad_response", new JsonObject(last).getJsonObject("error").getString("code"));
        assertFalse(cut.endsWithDone());
        await().atMost(Duration.ofSeconds(5)).until(() -> flights.inFlight() == 0);
        assertEquals(0, postgres.preparedQuery("SELECT 1 FROM strata_cache_entries WHERE cache_key = $1")
                .execute(Tuple.of(cut.header("X-Cache-Key"))).await().indefinitely().size());
        Sse.Reply again = Sse.post(chatUrl, streamBody(prompt, false), Map.of());
        assertEquals("MISS", again.header("X-Cache-Status"));
        assertEquals("answer #2", again.text());
    }

    @Test
    void providerErrorBeforeTheFirstByteIsAnOrdinaryError() {
        Provider.always(
                Provider.status(400, "{\"error\":{\"message\":\"bad\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"x\"}}"));
        Sse.Reply reply = Sse.post(chatUrl, streamBody(uniquePrompt(), false), Map.of());
        assertEquals(400, reply.status());
        assertNotNull(reply.rawBody());
        assertTrue(reply.rawBody().contains("\"code\":\"x\""), reply.rawBody());
    }

    @Test
    void legacyCompletionsStreamAndReplay() {
        URI completions = chatUrl.resolve("/v1/completions");
        String body = "{\"model\":\"gpt-test\",\"stream\":true,\"prompt\":\"" + uniquePrompt() + "\"}";
        Sse.Reply miss = Sse.post(completions, body, Map.of());
        assertEquals("answer #1", miss.text());
        awaitInL1(miss.header("X-Cache-Key"));
        Sse.Reply hit = Sse.post(completions, body, Map.of());
        assertEquals("HIT-L1", hit.header("X-Cache-Status"));
        assertEquals("answer #1", hit.text());
    }

    @Inject
    io.micrometer.core.instrument.MeterRegistry registry;

    @Test
    void leaderWhoseClientLeavesKeepsServingItsFollowers() throws Exception {
        Provider.script(new JsonObject().put("chunkDelayMs", 100));
        String prompt = uniquePrompt();
        double disconnects = registry.counter("strata.stream.client.disconnects").count();
        int before = flights.inFlight();
        CompletableFuture<Sse.Reply> leader = CompletableFuture
                .supplyAsync(() -> Sse.post(chatUrl, streamBody(prompt, false), Map.of(), 1));
        // the leader's flight is open before the followers come (a fixed sleep lost that race on a busy machine)
        await().atMost(Duration.ofSeconds(10)).until(() -> flights.inFlight() > before);
        CompletableFuture<Sse.Reply> follower = CompletableFuture.supplyAsync(() -> Sse.post(chatUrl, streamBody(prompt, false), Map.of()));
        Response plainFollower = chat("{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}");

        assertEquals("MISS", leader.get().header("X-Cache-Status"));
        assertEquals(1, leader.get().data().size(), "the leader's client left after one event");
        assertEquals("COALESCED", follower.get().header("X-Cache-Status"));
        assertEquals("answer #1", follower.get().text());
        assertTrue(follower.get().endsWithDone());
        assertEquals("answer #1", plainFollower.jsonPath().getString("choices[0].message.content"));
        assertEquals(1, Provider.calls());
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.counter("strata.stream.client.disconnects").count() > disconnects);
    }
}
