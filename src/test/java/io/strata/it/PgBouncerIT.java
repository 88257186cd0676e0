package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.strata.testing.PgBouncerServer;
import io.strata.testing.TestServers;
import io.vertx.core.json.JsonObject;

/**
 * Strata behind a real PgBouncer in transaction mode, with a server pool (3) far smaller than
 * Strata's pools (16), so statements of one Strata connection run on different server
 * connections: migrations apply, L2 hits are served, history is written and read.
 * PgBouncer comes from apt (.ci/run installs it); without it the test is skipped, unless
 * STRATA_REQUIRE_PGBOUNCER is set (CI), where its absence is a failure.
 */
class PgBouncerIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static TestServers servers;
    private static PgBouncerServer pgbouncer;
    private static StrataProcess strata;

    @BeforeAll
    static void startBehindPgBouncer() throws Exception {
        if (System.getenv("STRATA_REQUIRE_PGBOUNCER") == null) {
            assumeTrue(PgBouncerServer.available(), "pgbouncer is not installed (apt-get install pgbouncer)");
        }
        servers = new TestServers();
        Map<String, String> config = new HashMap<>(servers.start());
        System.setProperty("strata.test.control-url", config.get("strata.test.control-url"));
        config.remove("strata.test.control-url");
        config.remove("strata.test.redis-url");
        URI postgres = URI.create(config.get("quarkus.datasource.reactive.url").replace("postgresql://", "http://"));
        String database = postgres.getPath().substring(1);
        pgbouncer = PgBouncerServer.start(postgres.getHost(), postgres.getPort(), database,
                config.get("quarkus.datasource.username"), 3);
        config.put("quarkus.datasource.reactive.url", "postgresql://127.0.0.1:" + pgbouncer.port() + "/" + database);
        config.put("strata.postgres.layer7-proxy", "true");
        config.put("strata.cache.l1.enabled", "false"); // every repeat must come from L2, through PgBouncer
        config.put("strata.history.token", "hist-it");
        // Correctness through the pooler is the point here, not latency on a loaded build machine.
        config.put("strata.cache.l2.timeout", "2s");
        config.put("strata.history.writer.max-wait", "20ms");
        strata = StrataProcess.start("pgbouncer", config);
    }

    @AfterAll
    static void stop() throws Exception {
        if (strata != null) {
            strata.close();
        }
        if (pgbouncer != null) {
            pgbouncer.close();
        }
        if (servers != null) {
            servers.stop();
        }
    }

    @Test
    void l2HitsAndHistoryWorkThroughATransactionPooler() throws Exception {
        String session = "s-" + UUID.randomUUID();
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            bodies.add(
                    "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"pgb " + i + " " + UUID.randomUUID() + "\"}]}");
        }
        for (String body : bodies) {
            HttpResponse<String> miss = post(body, session).get();
            assertEquals(200, miss.statusCode(), miss.body());
        }
        Thread.sleep(500); // write-backs land in L2
        // concurrently, so lookups of one pipelined connection interleave over PgBouncer's three server connections
        List<CompletableFuture<HttpResponse<String>>> repeats = new ArrayList<>();
        for (String body : bodies) {
            repeats.add(post(body, session));
        }
        Map<String, Integer> statuses = new HashMap<>();
        for (CompletableFuture<HttpResponse<String>> repeat : repeats) {
            HttpResponse<String> reply = repeat.get();
            assertEquals(200, reply.statusCode(), reply.body());
            statuses.merge(reply.headers().firstValue("X-Cache-Status").orElse("-"), 1, Integer::sum);
        }
        assertEquals(Map.of("HIT-L2", 40), statuses, pgbouncer.log());

        JsonObject page = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            HttpResponse<String> history = HTTP.send(HttpRequest.newBuilder(strata.uri("/v1/history/sessions/" + session + "?limit=100"))
                    .header("Authorization", "Bearer hist-it").build(), HttpResponse.BodyHandlers.ofString());
            if (history.statusCode() == 200 && new JsonObject(history.body()).getJsonArray("data").size() == 80) {
                page = new JsonObject(history.body());
                break;
            }
            Thread.sleep(100);
        }
        assertTrue(page != null, "all 80 records written and read back through PgBouncer; its log: " + pgbouncer.log());
        assertEquals("MISS", page.getJsonArray("data").getJsonObject(0).getJsonObject("metadata").getString("cache_status"));
        assertEquals("HIT-L2", page.getJsonArray("data").getJsonObject(79).getJsonObject("metadata").getString("cache_status"));
    }

    private static CompletableFuture<HttpResponse<String>> post(String body, String session) {
        return HTTP.sendAsync(HttpRequest.newBuilder(strata.uri("/v1/chat/completions"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer sk-pgb")
                .header("X-Session-Id", session)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
