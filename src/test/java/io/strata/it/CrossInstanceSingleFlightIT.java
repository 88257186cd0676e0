package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.strata.testing.Provider;
import io.strata.testing.Sse;
import io.strata.testing.TestServers;
import io.vertx.core.json.JsonObject;

/**
 * Two packaged Strata instances sharing one Redis and one Postgres: identical requests that reach
 * both at once cause one provider call; the instance without the lock waits for the other's entry.
 */
class CrossInstanceSingleFlightIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static TestServers servers;
    private static StrataProcess first;
    private static StrataProcess second;

    @BeforeAll
    static void startTwoInstances() throws Exception {
        servers = new TestServers();
        Map<String, String> config = new HashMap<>(servers.start());
        System.setProperty("strata.test.control-url", config.get("strata.test.control-url"));
        config.remove("strata.test.control-url");
        config.remove("strata.test.redis-url");
        config.put("strata.cache.refresh-ahead.enabled", "false");
        first = StrataProcess.start("instance-a", config);
        second = StrataProcess.start("instance-b", config);
        // A cold instance opens its Redis and Postgres connections on its first requests, slower than
        // the 50 ms lock timeout (it would then rightly go alone): warm both up before measuring.
        for (StrataProcess strata : List.of(first, second)) {
            for (int i = 0; i < 3; i++) {
                post(strata,
                        "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"warm-up " + UUID.randomUUID() + "\"}]}")
                        .get();
                Sse.post(strata.uri("/v1/chat/completions"),
                        "{\"model\":\"gpt-test\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"warm-up "
                                + UUID.randomUUID() + "\"}]}",
                        Map.of());
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (first != null) {
            first.close();
        }
        if (second != null) {
            second.close();
        }
        if (servers != null) {
            servers.stop();
        }
    }

    @BeforeEach
    void reset() {
        Provider.reset();
    }

    @Test
    void identicalRequestsOnTwoInstancesCauseOneProviderCall() throws Exception {
        Provider.script(new JsonObject().put("delayMs", 1_000));
        String body = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + UUID.randomUUID() + "\"}]}";
        CompletableFuture<HttpResponse<String>> onFirst = post(first, body);
        Thread.sleep(200); // the first instance takes the lock
        CompletableFuture<HttpResponse<String>> onSecond = post(second, body);

        HttpResponse<String> a = onFirst.get();
        HttpResponse<String> b = onSecond.get();
        assertEquals(200, a.statusCode());
        assertEquals(200, b.statusCode());
        assertEquals("MISS", a.headers().firstValue("X-Cache-Status").orElseThrow());
        assertEquals("COALESCED", b.headers().firstValue("X-Cache-Status").orElseThrow());
        assertEquals(new JsonObject(a.body()).getJsonArray("choices"), new JsonObject(b.body()).getJsonArray("choices"));
        assertEquals(1, Provider.calls(), "two instances, one provider call");
    }

    @Test
    void streamedLeaderOnOneInstanceAnswersAFollowerOnTheOther() throws Exception {
        Provider.script(new JsonObject().put("delayMs", 500).put("chunkDelayMs", 100));
        String prompt = UUID.randomUUID().toString();
        String streamed = "{\"model\":\"gpt-test\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
        CompletableFuture<Sse.Reply> leader = CompletableFuture
                .supplyAsync(() -> Sse.post(first.uri("/v1/chat/completions"), streamed, Map.of()));
        Thread.sleep(200);
        CompletableFuture<Sse.Reply> follower = CompletableFuture
                .supplyAsync(() -> Sse.post(second.uri("/v1/chat/completions"), streamed, Map.of()));

        assertEquals("MISS", leader.get().header("X-Cache-Status"));
        assertEquals("answer #1", leader.get().text());
        assertEquals("COALESCED", follower.get().header("X-Cache-Status"));
        assertEquals("answer #1", follower.get().text());
        assertTrue(follower.get().endsWithDone());
        assertEquals(1, Provider.calls());
    }

    @Test
    void whenTheLockHolderFailsTheOtherInstanceCallsItself() throws Exception {
        Provider.script(new JsonObject().put("delayMs", 500).put("status", 500).put("body", "{\"error\":{\"message\":\"x\"}}"),
                new JsonObject().put("status", 500).put("body", "{\"error\":{\"message\":\"x\"}}"),
                new JsonObject().put("status", 500).put("body", "{\"error\":{\"message\":\"x\"}}"));
        String body = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + UUID.randomUUID() + "\"}]}";
        CompletableFuture<HttpResponse<String>> onFirst = post(first, body);
        Thread.sleep(200);
        CompletableFuture<HttpResponse<String>> onSecond = post(second, body);
        assertEquals(500, onFirst.get().statusCode());
        HttpResponse<String> b = onSecond.get();
        assertEquals(200, b.statusCode(), "the waiting instance called the provider once the holder let go without an entry");
        assertTrue(List.of("MISS").contains(b.headers().firstValue("X-Cache-Status").orElseThrow()));
    }

    private static CompletableFuture<HttpResponse<String>> post(StrataProcess strata, String body) {
        return HTTP.sendAsync(HttpRequest.newBuilder(strata.uri("/v1/chat/completions"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer sk-it")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
