package io.strata.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.MeterRegistry;
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

/** /v1/responses through the cache: the same key rules, storage rules, streaming and single-flight as chat. */
@QuarkusTest
class ResponsesCacheTest extends StrataTest {

    @TestHTTPResource("/v1/responses")
    URI responsesUrl;

    @Inject
    Pool postgres;

    @Inject
    SingleFlight flights;

    @Inject
    MeterRegistry registry;

    static String body(String prompt) {
        return "{\"model\":\"gpt-test\",\"instructions\":\"Be brief.\",\"input\":\"" + prompt + "\"}";
    }

    static String streamed(String prompt) {
        return body(prompt).replace("{\"model\"", "{\"stream\":true,\"model\"");
    }

    static Response respond(String body) {
        return respond(body, Map.of());
    }

    static Response respond(String body, Map<String, String> headers) {
        return client().headers(headers).body(body).post("/v1/responses");
    }

    private static String text(Response response) {
        return response.jsonPath().getString("output[0].content[0].text");
    }

    private int rows(String key) {
        return postgres.preparedQuery("SELECT 1 FROM strata_cache_entries WHERE cache_key = $1").execute(Tuple.of(key))
                .await().indefinitely().size();
    }

    @Test
    void plainMissThenHitWithTheUsageCountedAsServedFromCache() {
        String body = body(uniquePrompt());
        Response miss = respond(body);
        miss.then().statusCode(200);
        assertEquals("MISS", status(miss));
        assertEquals("answer #1", text(miss));
        assertEquals("99", miss.header("x-ratelimit-remaining-requests"), "a miss relays the provider's rate-limit headers");
        awaitInL1(miss.header("X-Cache-Key"));

        double cachedInput = registry.counter("strata.tokens", "source", "cache", "type", "prompt").count();
        double cachedOutput = registry.counter("strata.tokens", "source", "cache", "type", "completion").count();
        Response hit = respond(body);
        assertEquals("HIT-L1", status(hit));
        assertEquals(miss.asString(), hit.asString(), "a hit is the stored bytes");
        assertTrue(hit.header("Age") != null);
        assertEquals(1, Provider.calls());
        assertEquals(cachedInput + 11, registry.counter("strata.tokens", "source", "cache", "type", "prompt").count());
        assertEquals(cachedOutput + 7, registry.counter("strata.tokens", "source", "cache", "type", "completion").count());
    }

    @Test
    void moneySavedIsCountedFromTheResponsesUsageAndTheModelsPrice() {
        String body = "{\"model\":\"gpt-4o-mini\",\"input\":\"" + uniquePrompt() + "\"}";
        double billed = registry.counter("strata.cost.billed.usd").count();
        Response miss = respond(body);
        assertEquals("gpt-4o-mini-2024-08-06", miss.jsonPath().getString("model"));
        double perAnswer = (11 * 0.15 + 7 * 0.60) / 1_000_000;
        assertEquals(billed + perAnswer, registry.counter("strata.cost.billed.usd").count(), 1e-12);
        awaitInL1(miss.header("X-Cache-Key"));
        double saved = registry.counter("strata.cost.saved.usd").count();
        assertEquals("HIT-L1", status(respond(body)));
        assertEquals(saved + perAnswer, registry.counter("strata.cost.saved.usd").count(), 1e-12);
    }

    @Test
    void fieldsThatCannotChangeTheAnswerShareTheEntryAndTheConversationStateDoesNot() {
        String prompt = uniquePrompt();
        String base = "{\"model\":\"gpt-test\",\"input\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
        String key = respond(base).header("X-Cache-Key");
        awaitInL1(key);
        String[] same = {
                "{\"model\":\"gpt-test\",\"stream_options\":{\"include_obfuscation\":false},\"user\":\"u\",\"metadata\":{\"a\":\"b\"},"
                        + "\"store\":true,\"safety_identifier\":\"h\",\"prompt_cache_key\":\"p\",\"service_tier\":\"flex\","
                        + "\"input\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}",
                "{\"model\":\"gpt-test\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"  " + prompt
                        + "\"}]}]}",
        };
        for (String body : same) {
            Response hit = respond(body);
            assertEquals(key, hit.header("X-Cache-Key"), body);
            assertEquals("HIT-L1", status(hit), body);
        }
        String[] different = {
                base.replace("{\"model\"", "{\"store\":false,\"model\""),
                base.replace("{\"model\"", "{\"previous_response_id\":\"resp_1\",\"model\""),
                base.replace("{\"model\"", "{\"conversation\":\"conv_1\",\"model\""),
                base.replace("{\"model\"", "{\"instructions\":\"Be brief.\",\"model\""),
        };
        for (String body : different) {
            assertNotEquals(key, respond(body).header("X-Cache-Key"), body);
        }
        assertEquals(1 + different.length, Provider.calls());
    }

    @Test
    void backgroundRequestsAreNeverCached() {
        String body = "{\"model\":\"gpt-test\",\"background\":true,\"input\":\"" + uniquePrompt() + "\"}";
        Response first = respond(body);
        assertEquals("BYPASS", status(first));
        Response second = respond(body);
        assertEquals("BYPASS", status(second));
        assertEquals(2, Provider.calls());
        assertEquals(0, rows(first.header("X-Cache-Key")));
    }

    @Test
    void onlyCompletedAnswersWithoutARefusalAreStored() throws Exception {
        JsonObject request = new JsonObject().put("model", "gpt-test");
        JsonArray refusal = new JsonArray().add(new JsonObject().put("id", "msg_r").put("type", "message").put("status", "completed")
                .put("role", "assistant")
                .put("content", new JsonArray().add(new JsonObject().put("type", "refusal").put("refusal", "No."))));
        String incomplete = new JsonObject(responseJson(request, "incomplete")).put("incomplete_details",
                new JsonObject().put("reason", "max_output_tokens")).encode();
        String failed = new JsonObject(responseJson(request, "failed")).put("error",
                new JsonObject().put("code", "server_error").put("message", "boom")).encode();
        String refused = new JsonObject(responseJson(request, "completed")).put("output", refusal).encode();
        for (String answer : List.of(incomplete, failed, refused)) {
            Provider.reset();
            Provider.always(Provider.status(200, answer));
            String body = body(uniquePrompt());
            Response first = respond(body);
            assertEquals(200, first.statusCode());
            assertEquals("MISS", status(first));
            await().atMost(Duration.ofSeconds(5)).until(() -> flights.inFlight() == 0);
            Thread.sleep(200);
            assertEquals(0, rows(first.header("X-Cache-Key")), answer);
            assertEquals("MISS", status(respond(body)), answer);
            assertEquals(2, Provider.calls(), answer);
        }
    }

    private static String responseJson(JsonObject request, String status) {
        return new JsonObject().put("id", "resp_x").put("object", "response").put("created_at", 1).put("status", status)
                .put("error", null).put("incomplete_details", null).put("model", request.getString("model"))
                .put("output", new JsonArray().add(new JsonObject().put("id", "msg_x").put("type", "message").put("status", "completed")
                        .put("role", "assistant").put("content", new JsonArray().add(new JsonObject().put("type", "output_text")
                                .put("text", "partial").put("annotations", new JsonArray())))))
                .put("usage", new JsonObject().put("input_tokens", 1).put("output_tokens", 1).put("total_tokens", 2)).encode();
    }

    @Test
    void streamedMissIsRelayedAsItComesAssembledAndSharedWithPlainRequests() {
        Provider.script(new JsonObject().put("chunkDelayMs", 60));
        String prompt = uniquePrompt();
        Sse.Reply miss = Sse.post(responsesUrl, streamed(prompt), Map.of());
        assertEquals("MISS", miss.header("X-Cache-Status"));
        assertEquals("text/event-stream", miss.header("Content-Type"));
        List<String> types = types(miss);
        assertEquals("response.created", types.get(0));
        assertEquals("response.completed", types.get(types.size() - 1));
        assertTrue(miss.rawBody().contains("event: response.output_text.delta\n"), "events keep their names");
        assertTrue(miss.arrivals().get(miss.arrivals().size() - 1) - miss.arrivals().get(0) >= 5 * 40, "the stream was buffered");
        assertFalse(new JsonObject(Provider.requests().get(0).json().encode()).containsKey("stream_options"),
                "the Responses API sends its usage anyway: the body goes up as sent");

        awaitInL1(miss.header("X-Cache-Key"));
        Response plain = respond(body(prompt));
        assertEquals("HIT-L1", status(plain), "stream and non-stream share one entry");
        assertEquals("answer #1", text(plain));
        assertEquals("completed", plain.jsonPath().getString("status"));
        assertEquals(18, plain.jsonPath().getInt("usage.total_tokens"));

        Sse.Reply replay = Sse.post(responsesUrl, streamed(prompt), Map.of());
        assertEquals("HIT-L1", replay.header("X-Cache-Status"));
        assertEquals(miss.rawBody(), replay.rawBody(), "a streamed hit replays the events as received");
        assertEquals(1, Provider.calls());
    }

    @Test
    void anEntryStoredFromAPlainAnswerReplaysAsSynthesisedEvents() {
        String prompt = uniquePrompt();
        Response plain = respond(body(prompt));
        awaitInL1(plain.header("X-Cache-Key"));
        Sse.Reply synthesised = Sse.post(responsesUrl, streamed(prompt), Map.of());
        assertEquals("HIT-L1", synthesised.header("X-Cache-Status"));
        assertEquals(List.of("response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
                "response.output_text.delta", "response.output_text.done", "response.content_part.done", "response.output_item.done",
                "response.completed"), types(synthesised));
        List<JsonObject> events = synthesised.chunks();
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i, events.get(i).getInteger("sequence_number"));
        }
        assertEquals("answer #1", events.get(4).getString("delta"));
        assertEquals(new JsonObject(plain.asString()), events.get(events.size() - 1).getJsonObject("response"));
        assertEquals(1, Provider.calls());
    }

    @Test
    void aClientThatLeavesDoesNotStopTheReadAndFollowersShareTheCall() throws Exception {
        Provider.script(new JsonObject().put("delayMs", 200).put("chunkDelayMs", 50));
        String prompt = uniquePrompt();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String[]>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                int n = i;
                answers.add(pool.submit((Callable<String[]>) () -> {
                    go.await();
                    if (n == 0) {
                        Sse.Reply left = Sse.post(responsesUrl, streamed(prompt), Map.of(), 1);
                        return new String[]{left.header("X-Cache-Status"), null};
                    }
                    if (n % 2 == 0) {
                        Sse.Reply reply = Sse.post(responsesUrl, streamed(prompt), Map.of());
                        JsonObject last = reply.chunks().get(reply.chunks().size() - 1);
                        return new String[]{reply.header("X-Cache-Status"),
                                last.getJsonObject("response").getJsonArray("output").getJsonObject(0).getJsonArray("content")
                                        .getJsonObject(0).getString("text")};
                    }
                    Response response = respond(body(prompt));
                    return new String[]{status(response), text(response)};
                }));
            }
            go.countDown();
            for (Future<String[]> answer : answers) {
                String[] result = answer.get();
                assertTrue(List.of("MISS", "COALESCED", "HIT-L1", "HIT-L2").contains(result[0]), result[0]);
                if (result[1] != null) {
                    assertEquals("answer #1", result[1]);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, Provider.calls(), "eight identical requests, one provider call");
        Response after = respond(body(prompt));
        assertTrue(status(after).startsWith("HIT"), status(after));
    }

    @Test
    void aStreamCutByTheProviderEndsWithAResponsesErrorEventAndStoresNothing() {
        Provider.script(new JsonObject().put("cutAfter", 4));
        String prompt = uniquePrompt();
        Sse.Reply cut = Sse.post(responsesUrl, streamed(prompt), Map.of());
        assertEquals(200, cut.status());
        JsonObject last = cut.chunks().get(cut.chunks().size() - 1);
        assertEquals("error", last.getString("type"));
        assertEquals("upstream_bad_response", last.getString("code"));
        assertEquals(4, last.getInteger("sequence_number"));
        assertTrue(cut.rawBody().contains("event: error\n"));
        await().atMost(Duration.ofSeconds(5)).until(() -> flights.inFlight() == 0);
        assertEquals(0, rows(cut.header("X-Cache-Key")));
    }

    @Test
    void anExpiredEntryAnswersStaleWhenTheProviderFails() {
        String body = body(uniquePrompt());
        String key = respond(body, Map.of("X-Cache-TTL", "1")).header("X-Cache-Key");
        await().atMost(Duration.ofSeconds(5)).until(() -> rows(key) == 1);
        await().pollDelay(Duration.ofMillis(1100)).atMost(Duration.ofSeconds(5)).until(() -> true);
        Provider.always(Provider.status(503, "{\"error\":{\"message\":\"down\",\"type\":\"server_error\",\"param\":null,\"code\":null}}"));
        Response stale = respond(body);
        assertEquals(200, stale.statusCode());
        assertEquals("STALE", status(stale));
        assertEquals("answer #1", text(stale));
    }

    @Test
    void cacheControlWorksAsForChat() {
        String other = body(uniquePrompt());
        Response notCached = respond(other, Map.of("Cache-Control", "only-if-cached"));
        assertEquals(504, notCached.statusCode());
        assertEquals("not_cached", notCached.jsonPath().getString("error.code"));
        Response bypass = respond(other, Map.of("Cache-Control", "no-store"));
        assertEquals("BYPASS", status(bypass));
        assertEquals("answer #1", text(bypass), bypass.asString());
        assertEquals(0, rows(bypass.header("X-Cache-Key")));
    }

    static List<String> types(Sse.Reply reply) {
        return reply.chunks().stream().map(event -> event.getString("type")).toList();
    }
}
