package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.restassured.response.Response;
import io.strata.testing.Provider;
import io.strata.testing.Sse;
import io.vertx.core.json.JsonObject;

/** Identical requests in flight in the packaged app share one provider call, streamed or not. */
@QuarkusIntegrationTest
class SingleFlightIT extends PackagedAppTest {

    @Test
    void twentyIdenticalConcurrentRequestsMixedStreamAndNotCauseOneProviderCall() throws Exception {
        Provider.script(new JsonObject().put("delayMs", 300).put("chunkDelayMs", 50));
        String prompt = uniquePrompt();
        String plain = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
        ExecutorService pool = Executors.newFixedThreadPool(20);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String[]>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                boolean streamed = i % 2 == 0;
                answers.add(pool.submit((Callable<String[]>) () -> {
                    go.await();
                    if (streamed) {
                        Sse.Reply reply = Sse.post(uri("/v1/chat/completions"), streamBody(prompt), Map.of());
                        return new String[]{reply.header("X-Cache-Status"), reply.text(), Boolean.toString(reply.endsWithDone())};
                    }
                    Response response = chat(plain);
                    return new String[]{status(response), response.jsonPath().getString("choices[0].message.content"), "true"};
                }));
            }
            go.countDown();
            int misses = 0;
            for (Future<String[]> answer : answers) {
                String[] result = answer.get();
                assertEquals("answer #1", result[1]);
                assertEquals("true", result[2]);
                assertTrue(List.of("MISS", "COALESCED", "HIT-L1", "HIT-L2").contains(result[0]), result[0]);
                misses += "MISS".equals(result[0]) ? 1 : 0;
            }
            assertEquals(1, misses, "one leader");
            assertEquals(1, Provider.calls(), "twenty identical requests, one provider call");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void leaderWhoseClientLeavesKeepsServingItsFollowers() throws Exception {
        Provider.script(new JsonObject().put("chunkDelayMs", 100));
        String prompt = uniquePrompt();
        CompletableFuture<Sse.Reply> leader = CompletableFuture
                .supplyAsync(() -> Sse.post(uri("/v1/chat/completions"), streamBody(prompt), Map.of(), 1));
        Thread.sleep(50);
        CompletableFuture<Sse.Reply> follower = CompletableFuture
                .supplyAsync(() -> Sse.post(uri("/v1/chat/completions"), streamBody(prompt), Map.of()));

        assertEquals("MISS", leader.get().header("X-Cache-Status"));
        assertEquals(1, leader.get().data().size(), "the leader's client left after one event");
        assertEquals("COALESCED", follower.get().header("X-Cache-Status"));
        assertEquals("answer #1", follower.get().text());
        assertTrue(follower.get().endsWithDone());
        assertEquals(1, Provider.calls());
    }
}
