package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
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

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.strata.testing.Provider;
import io.strata.testing.RedisClusterServers;
import io.strata.testing.TestServers;
import redis.embedded.RedisSentinel;
import redis.embedded.RedisServer;

/**
 * Two packaged Strata instances on Redis Sentinel (a master, a replica, one sentinel; the embedded
 * artifact's binary): L1 hits across instances, the shared budget exact, and a killed master
 * replaced by its replica with no failed request.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisSentinelIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int BUDGET = 1_000;

    private static RedisServer master;
    private static RedisServer replica;
    private static RedisSentinel sentinel;
    private static int masterPort;
    private static int replicaPort;
    private static TestServers servers;
    private static StrataProcess first;
    private static StrataProcess second;

    @BeforeAll
    static void start() throws Exception {
        masterPort = freePort();
        replicaPort = freePort();
        int sentinelPort = freePort();
        master = RedisServer.newRedisServer().port(masterPort).bind("127.0.0.1").setting("save \"\"").setting("appendonly no").build();
        master.start();
        replica = RedisServer.newRedisServer().port(replicaPort).bind("127.0.0.1").slaveOf("127.0.0.1", masterPort)
                .setting("save \"\"").setting("appendonly no").build();
        replica.start();
        sentinel = RedisSentinel.newRedisSentinel().port(sentinelPort).bind("127.0.0.1").masterName("strata").masterPort(masterPort)
                .quorumSize(1).downAfterMilliseconds(1000).failOverTimeout(3000).parallelSyncs(1).build();
        sentinel.start();
        await(() -> RedisClusterServers.command(masterPort, "INFO", "replication").contains("connected_slaves:1"));

        servers = new TestServers();
        Map<String, String> config = new HashMap<>(servers.start());
        System.setProperty("strata.test.control-url", config.get("strata.test.control-url"));
        config.remove("strata.test.control-url");
        config.remove("strata.test.redis-url");
        config.put("quarkus.redis.hosts", "redis://127.0.0.1:" + sentinelPort);
        config.put("quarkus.redis.client-type", "sentinel");
        config.put("quarkus.redis.master-name", "strata");
        config.put("strata.cache.refresh-ahead.enabled", "false");
        config.put("strata.upstream.budget.requests-per-minute", Integer.toString(BUDGET));
        config.put("strata.upstream.budget.timeout", "1s"); // see RedisClusterIT
        first = StrataProcess.start("sentinel-a", config);
        second = StrataProcess.start("sentinel-b", config);
        for (StrataProcess strata : List.of(first, second)) {
            for (int i = 0; i < 10; i++) {
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
        for (var server : new redis.embedded.Redis[]{sentinel, replica, master}) {
            if (server != null && server.isActive()) {
                server.stop();
            }
        }
    }

    @Test
    @Order(1)
    void hitsAcrossInstancesAndTheBudgetExact() throws Exception {
        Provider.reset();
        String body = chat("shared " + UUID.randomUUID());
        assertEquals("MISS", status(post(first, body).get()));
        Thread.sleep(200);
        assertEquals("HIT-L1", status(post(second, body).get()));

        while (Instant.now().getEpochSecond() % 60 > 40) {
            Thread.sleep(500);
        }
        long minute = System.currentTimeMillis() / 60_000;
        RedisClusterServers.command(masterPort, "SET", "strata:budget:{" + minute + "}:req", Integer.toString(BUDGET - 30), "PX", "120000");
        Provider.reset();
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
        RedisClusterServers.command(masterPort, "DEL", "strata:budget:{" + minute + "}:req");
        assertEquals(Map.of(200, 30, 429, 20), codes);
        assertEquals(30, Provider.calls());
    }

    @Test
    @Order(2)
    void aKilledMasterIsReplacedWithoutAFailedRequest() throws Exception {
        List<String> hot = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String body = chat("hot " + UUID.randomUUID());
            post(first, body).get();
            hot.add(body);
        }
        master.stop();
        long deadline = System.currentTimeMillis() + 30_000;
        List<String> failures = new ArrayList<>();
        int l1AfterFailover = 0;
        int n = 0;
        while (System.currentTimeMillis() < deadline && l1AfterFailover < 20) {
            HttpResponse<String> reply = post(n % 2 == 0 ? first : second, hot.get(n % hot.size())).get();
            n++;
            if (reply.statusCode() != 200) {
                failures.add(reply.statusCode() + " " + reply.body());
            }
            if (RedisClusterServers.command(replicaPort, "ROLE").startsWith("master") && "HIT-L1".equals(status(reply))) {
                l1AfterFailover++;
            }
            Thread.sleep(20);
        }
        assertEquals(List.of(), failures);
        assertTrue(l1AfterFailover >= 20, "the promoted replica serves L1 again (" + n + " requests)");
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        while (!condition.call()) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("condition not met in 20 s");
            }
            Thread.sleep(100);
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String chat(String content) {
        return "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
    }

    private static String status(HttpResponse<String> reply) {
        return reply.headers().firstValue("X-Cache-Status").orElse("-");
    }

    private static CompletableFuture<HttpResponse<String>> post(StrataProcess strata, String body) {
        return HTTP.sendAsync(HttpRequest.newBuilder(strata.uri("/v1/chat/completions"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer sk-sentinel-it")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
