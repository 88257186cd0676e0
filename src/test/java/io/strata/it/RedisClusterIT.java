package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.strata.testing.Provider;
import io.strata.testing.RedisClusterServers;
import io.strata.testing.TestServers;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Two packaged Strata instances on a real Redis Cluster (three masters, three replicas): L1 hits
 * across instances, one provider call for identical requests spread over both, the shared budget
 * enforced exactly, stats and invalidation over every master, refresh-ahead landing where both
 * instances read it, and a master killed under load costing only its own slots.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisClusterIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int BUDGET = 1_000;

    private static TestServers servers;
    private static RedisClusterServers cluster;
    private static StrataProcess first;
    private static StrataProcess second;

    @BeforeAll
    static void startTwoInstancesOnACluster() throws Exception {
        cluster = RedisClusterServers.start();
        servers = new TestServers();
        Map<String, String> config = new HashMap<>(servers.start());
        System.setProperty("strata.test.control-url", config.get("strata.test.control-url"));
        config.remove("strata.test.control-url");
        config.remove("strata.test.redis-url");
        config.put("quarkus.redis.hosts", cluster.hosts());
        config.put("quarkus.redis.client-type", "cluster");
        // Refresh-ahead on: only entries near the end of a short X-Cache-TTL qualify, so the other tests see none.
        config.put("strata.cache.refresh-ahead.enabled", "true");
        config.put("strata.cache.refresh-ahead.min-hits", "3");
        config.put("strata.cache.refresh-ahead.remaining-ratio", "0.6");
        config.put("strata.api.admin-token", "adm-it");
        config.put("strata.upstream.budget.requests-per-minute", Integer.toString(BUDGET));
        // A loaded build machine can answer later than the 50 ms default, and a late answer lets the
        // call go ahead by design; this test is about the count across instances, so it waits longer.
        config.put("strata.upstream.budget.timeout", "1s");
        first = StrataProcess.start("cluster-a", config);
        second = StrataProcess.start("cluster-b", config);
        for (StrataProcess strata : List.of(first, second)) {
            for (int i = 0; i < 20; i++) {
                post(strata, chat("warm-up " + UUID.randomUUID())).get();
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[]{first, second}) {
            if (closeable != null) {
                closeable.close();
            }
        }
        if (servers != null) {
            servers.stop();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void reset() {
        Provider.reset();
    }

    @Test
    @Order(1)
    void anEntryStoredByOneInstanceIsAnL1HitOnTheOther() throws Exception {
        for (int i = 0; i < 10; i++) { // keys over all three masters
            String body = chat("shared " + UUID.randomUUID());
            HttpResponse<String> miss = post(first, body).get();
            assertEquals("MISS", status(miss));
            awaitInL1(miss.headers().firstValue("X-Cache-Key").orElseThrow()); // the write-back runs after the answer
            assertEquals("HIT-L1", status(post(second, body).get()));
        }
        assertEquals(10, Provider.calls());
    }

    @Test
    @Order(2)
    void twentyIdenticalRequestsOverBothInstancesCauseOneProviderCall() throws Exception {
        Provider.script(new JsonObject().put("delayMs", 1_000));
        String body = chat("flight " + UUID.randomUUID());
        List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            replies.add(post(i % 2 == 0 ? first : second, body));
        }
        Map<String, Integer> statuses = new HashMap<>();
        for (CompletableFuture<HttpResponse<String>> reply : replies) {
            HttpResponse<String> answer = reply.get();
            assertEquals(200, answer.statusCode(), answer.body());
            statuses.merge(status(answer), 1, Integer::sum);
        }
        assertEquals(1, Provider.calls(), "one provider call for 20 requests on two instances: " + statuses);
        assertEquals(1, statuses.get("MISS"), statuses.toString());
    }

    @Test
    @Order(3)
    void theSharedBudgetIsEnforcedExactlyAcrossInstances() throws Exception {
        while (Instant.now().getEpochSecond() % 60 > 40) { // the whole test inside one budget minute
            Thread.sleep(500);
        }
        long minute = System.currentTimeMillis() / 60_000;
        cluster.keyCommand("SET", "strata:budget:{" + minute + "}:req", Integer.toString(BUDGET - 30), "PX", "120000");
        List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            replies.add(post(i % 2 == 0 ? first : second, chat("budget " + UUID.randomUUID())));
            if (replies.size() % 10 == 0) {
                CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).get();
            }
        }
        Map<Integer, Integer> codes = new HashMap<>();
        for (CompletableFuture<HttpResponse<String>> reply : replies) {
            codes.merge(reply.get().statusCode(), 1, Integer::sum);
        }
        cluster.keyCommand("DEL", "strata:budget:{" + minute + "}:req"); // the other tests' calls are not budgeted
        assertEquals(Map.of(200, 30, 429, 20), codes);
        assertEquals(30, Provider.calls());
    }

    @Test
    @Order(4)
    void statsCountEveryMasterAndInvalidationReachesThemAll() throws Exception {
        String namespace = "ns-" + UUID.randomUUID();
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> stored = post(i % 2 == 0 ? first : second, chat("inv " + i), Map.of("X-Cache-Namespace", namespace)).get();
            assertEquals(200, stored.statusCode());
        }
        Thread.sleep(500); // write-backs land
        long keys = cluster.countKeys("strata:v1:*");
        JsonArray layers = new JsonObject(admin(first, "GET", "/admin/cache/stats", null).body()).getJsonArray("layers");
        JsonObject l1 = layers.getJsonObject(0);
        assertEquals("l1", l1.getString("layer"));
        assertEquals(keys, l1.getLong("entries"), "the L1 count is the sum over the three masters");
        assertTrue(keys >= 30);

        HttpResponse<String> invalidated = admin(second, "POST", "/admin/cache/invalidate", "{\"namespace\":\"" + namespace + "\"}");
        assertEquals(30, new JsonObject(invalidated.body()).getInteger("invalidated"), invalidated.body());
        assertEquals(keys - 30, cluster.countKeys("strata:v1:*"), "every invalidated entry left L1, whichever master held it");
        assertEquals("MISS", status(post(first, chat("inv 7"), Map.of("X-Cache-Namespace", namespace)).get()));
    }

    @Test
    @Order(5)
    void aPopularEntryRefreshedByOneInstanceIsTheOthersNextHit() throws Exception {
        String body = chat("refresh " + UUID.randomUUID());
        long missAt = System.nanoTime();
        HttpResponse<String> miss = post(first, body, Map.of("X-Cache-TTL", "5")).get();
        assertEquals("MISS", status(miss));
        String key = miss.headers().firstValue("X-Cache-Key").orElseThrow();
        awaitInL1(key);
        String original = new JsonObject(miss.body()).getJsonArray("choices").getJsonObject(0).getJsonObject("message")
                .getString("content");
        Thread.sleep(2_200); // less than 60 % of the 5 s TTL left
        for (int i = 0; i < 3; i++) {
            assertEquals("HIT-L1", status(post(second, body).get()));
        }
        String refreshed = null;
        for (int attempt = 0; attempt < 100 && refreshed == null; attempt++) {
            HttpResponse<String> hit = post(first, body).get();
            String content = new JsonObject(hit.body()).getJsonArray("choices").getJsonObject(0).getJsonObject("message")
                    .getString("content");
            if (!content.equals(original)) {
                assertEquals("HIT-L1", status(hit), "the refreshed entry, from the master holding its slot");
                refreshed = content;
            } else {
                Thread.sleep(30);
            }
        }
        assertTrue(refreshed != null, "the entry refreshed by the second instance reached the first through the cluster");
        assertEquals(2, Provider.calls(), "the miss and one background refresh");
        long expiredAt = missAt + 5_500_000_000L; // the first entry would have expired by now
        Thread.sleep(Math.max(0, (expiredAt - System.nanoTime()) / 1_000_000));
        HttpResponse<String> later = post(second, body).get();
        assertTrue(status(later).startsWith("HIT"), "the refreshed entry outlives the first one's TTL: " + status(later));
        assertEquals(2, Provider.calls());
    }

    @Test
    @Order(6)
    void aMasterKilledUnderLoadFailsNoRequestAndCostsOnlyItsSlots() throws Exception {
        List<String> hot = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String body = chat("hot " + i + " " + UUID.randomUUID());
            post(first, body).get();
            hot.add(body);
        }
        Thread.sleep(500);
        Map<String, Integer> before = new ConcurrentHashMap<>();
        Map<String, Integer> during = new ConcurrentHashMap<>();
        Map<String, Integer> after = new ConcurrentHashMap<>();
        AtomicBoolean killed = new AtomicBoolean();
        AtomicBoolean healed = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        List<String> failures = new ArrayList<>();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            int client = c;
            Thread thread = new Thread(() -> {
                int n = 0;
                while (!stop.get()) {
                    StrataProcess target = (n + client) % 2 == 0 ? first : second;
                    String body = n % 10 == 9 ? chat("cold " + UUID.randomUUID()) : hot.get((n * 7 + client) % hot.size());
                    n++;
                    try {
                        HttpResponse<String> reply = post(target, body).get();
                        Map<String, Integer> phase = healed.get() ? after : killed.get() ? during : before;
                        phase.merge(reply.statusCode() + " " + status(reply), 1, Integer::sum);
                        if (reply.statusCode() != 200) {
                            synchronized (failures) {
                                failures.add(reply.statusCode() + " " + reply.body());
                            }
                        }
                    } catch (Exception e) {
                        synchronized (failures) {
                            failures.add(e.toString());
                        }
                    }
                }
            });
            thread.start();
            clients.add(thread);
        }
        Thread.sleep(2_000);
        int victim = cluster.masters().get(1);
        cluster.kill(victim);
        long killedAt = System.nanoTime();
        killed.set(true);
        Thread.sleep(1_500); // the replica cannot have taken over yet (node timeout 1 s + election)
        cluster.awaitHealthy();
        long failoverMillis = (System.nanoTime() - killedAt) / 1_000_000;
        Thread.sleep(2_000); // MOVED answers lead the clients to the promoted replica
        healed.set(true);
        Thread.sleep(2_000);
        stop.set(true);
        for (Thread thread : clients) {
            thread.join();
        }
        System.out.printf("Master %d killed: failover %d ms; before %s; during %s; after %s%n", victim, failoverMillis, before, during,
                after);
        assertEquals(List.of(), failures.subList(0, Math.min(5, failures.size())), failures.size() + " requests failed");
        int l1 = during.getOrDefault("200 HIT-L1", 0);
        int l2 = during.getOrDefault("200 HIT-L2", 0);
        assertTrue(l1 > l2, "with one master of three away, most hits stay L1 hits: " + during);
        int l1After = after.getOrDefault("200 HIT-L1", 0);
        int l2After = after.getOrDefault("200 HIT-L2", 0);
        assertTrue(l1After > 10 * Math.max(1, l2After), "after the failover the promoted replica answers its slots: " + after);
    }

    private static void awaitInL1(String key) throws Exception {
        for (int attempt = 0; attempt < 100; attempt++) {
            if (cluster.keyCommand("EXISTS", "strata:v1:" + key).strip().equals("1")) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("entry " + key + " never reached L1");
    }

    private static String chat(String content) {
        return "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
    }

    private static String status(HttpResponse<String> reply) {
        return reply.headers().firstValue("X-Cache-Status").orElse("-");
    }

    private static CompletableFuture<HttpResponse<String>> post(StrataProcess strata, String body) {
        return post(strata, body, Map.of());
    }

    private static CompletableFuture<HttpResponse<String>> post(StrataProcess strata, String body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(strata.uri("/v1/chat/completions"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer sk-cluster-it")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        return HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> admin(StrataProcess strata, String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(strata.uri(path)).header("Authorization", "Bearer adm-it")
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
