package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.strata.testing.H2c;
import io.strata.testing.Provider;
import io.strata.testing.TestServers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.GoAway;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

/** SIGTERM with requests in flight: they are answered, their records written, and only then does the process exit. */
class ShutdownInFlightIT {

    private static TestServers servers;
    private static Map<String, String> config;

    @BeforeAll
    static void start() {
        servers = new TestServers();
        config = new HashMap<>(servers.start());
        System.setProperty("strata.test.control-url", config.get("strata.test.control-url"));
        config.remove("strata.test.control-url");
        config.remove("strata.test.redis-url");
    }

    @AfterAll
    static void stop() {
        servers.stop();
    }

    @Test
    void requestsInFlightAtSigtermAreAnsweredAndRecorded() throws Exception {
        StrataProcess strata = StrataProcess.start("shutdown-in-flight", config);
        Provider.reset();
        Provider.always(new JsonObject().put("delayMs", 1_500));
        String session = "sigterm-" + UUID.randomUUID();
        HttpClient http = HttpClient.newHttpClient();
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            inFlight.add(http.sendAsync(HttpRequest.newBuilder(strata.uri("/v1/chat/completions"))
                    .header("Content-Type", "application/json").header("X-Session-Id", session)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"q"
                            + i + " " + UUID.randomUUID() + "\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        // SIGTERM once all 24 are at the provider (it answers each 1.5 s after it arrived): a request that only
        // reaches Strata after the SIGTERM is refused with 503 shutting_down, which is not what this test is about
        long deadline = System.currentTimeMillis() + 10_000;
        while (Provider.calls() < 24 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        strata.close(); // SIGTERM, then waits for the exit
        for (CompletableFuture<HttpResponse<String>> response : inFlight) {
            assertEquals(200, response.get().statusCode(), "a request in flight at SIGTERM is answered");
        }
        try {
            assertEquals(24L, SessionRecords.count(config, session), "every request answered during shutdown has its record");
        } finally {
            Provider.reset();
        }
    }

    /**
     * HTTP/2 (h2c, prior knowledge), two connections: one idle at SIGTERM, one with 12 requests multiplexed in
     * flight. The idle one is sent GOAWAY(NO_ERROR) at once, while the other's requests are still at the
     * provider (the idle client's next request goes on a new connection, and is refused 503 as any while
     * draining); the busy one is answered (no request errors) and only then sent GOAWAY, covering every stream
     * it carried, before it is closed. (Not earlier: the JDK's HttpClient before JDK 24 fails every stream in
     * flight on a GOAWAY, see {@link #requestsInFlightAtSigtermAreAnsweredAndRecorded()}, whose client
     * upgrades to h2c.)
     */
    @Test
    void http2ConnectionsAreSentGoAwayOnceTheirStreamsAreAnswered() throws Exception {
        StrataProcess strata = StrataProcess.start("shutdown-in-flight-http2", config);
        Provider.reset();
        String session = "sigterm-h2-" + UUID.randomUUID();
        Vertx vertx = Vertx.vertx();
        try {
            Http2Client idle = new Http2Client(vertx, strata.port);
            Http2Client busy = new Http2Client(vertx, strata.port);
            String first = idle.post(session, "idle").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertTrue(first.startsWith("200 "), first);
            Provider.always(new JsonObject().put("delayMs", 3_000));
            List<Future<String>> inFlight = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                inFlight.add(busy.post(session, "busy " + i));
            }
            long deadline = System.currentTimeMillis() + 10_000;
            while (Provider.calls() < 13 && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(13, Provider.calls(), "all 12 at the provider before the SIGTERM");
            strata.terminate(); // SIGTERM
            GoAway idleGoAway = idle.goAway.get(5, TimeUnit.SECONDS);
            // the idle client's next request goes on a new connection, and is refused as any request while draining
            String refused = idle.post("sigterm-h2-refused-" + UUID.randomUUID(), "late").toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            assertTrue(refused.startsWith("503 ") && refused.contains("shutting_down"), refused);
            assertEquals(2, idle.connections.size(), "the idle client's next request went on a new connection");
            assertTrue(strata.awaitExit(15_000), "the process exits");
            for (Future<String> response : inFlight) {
                String answer = response.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                assertTrue(answer.startsWith("200 "), "a request in flight at SIGTERM is answered: " + answer);
            }
            assertEquals(1, busy.connections.size(), "the 12 requests went over one connection");
            long firstAnswer = busy.answeredAt.stream().min(Long::compare).orElseThrow();
            long lastAnswer = busy.answeredAt.stream().max(Long::compare).orElseThrow();
            assertEquals(0L, idleGoAway.getErrorCode(), "GOAWAY(NO_ERROR)");
            assertTrue(idle.goAwayAt < firstAnswer, "the idle connection was sent GOAWAY at once, not when the server closed: "
                    + (idle.goAwayAt - firstAnswer) / 1_000_000 + " ms after the busy one's first answer");
            GoAway busyGoAway = busy.goAway.get(5, TimeUnit.SECONDS);
            assertEquals(0L, busyGoAway.getErrorCode(), "GOAWAY(NO_ERROR)");
            assertTrue(busyGoAway.getLastStreamId() >= 23, "it covers the 12 streams sent (ids 1 to 23): " + busyGoAway.getLastStreamId());
            assertTrue(busy.goAwayAt > lastAnswer, "the busy connection was sent GOAWAY once its streams were answered");
            assertTrue(busy.closedAt.get(5, TimeUnit.SECONDS) > busy.goAwayAt, "GOAWAY came before the close");
            assertEquals(13L, SessionRecords.count(config, session), "every request answered has its record");
        } finally {
            strata.close(); // already exited, unless an assertion failed first
            Provider.reset();
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
    }

    /** A Vert.x HTTP/2 client (h2c, prior knowledge) with one connection, recording its GOAWAY and its close. */
    private static final class Http2Client {
        final io.vertx.core.http.HttpClient http;
        final List<HttpConnection> connections = new CopyOnWriteArrayList<>();
        final CompletableFuture<GoAway> goAway = new CompletableFuture<>();
        volatile long goAwayAt;
        final CompletableFuture<Long> closedAt = new CompletableFuture<>();
        final List<Long> answeredAt = new CopyOnWriteArrayList<>();

        Http2Client(Vertx vertx, int port) {
            http = H2c.client(vertx, "127.0.0.1", port);
            http.connectionHandler(connection -> {
                connections.add(connection);
                connection.goAwayHandler(received -> {
                    goAwayAt = System.nanoTime();
                    goAway.complete(received);
                });
                connection.closeHandler(closed -> closedAt.complete(System.nanoTime()));
            });
        }

        /** "status body", or "failed: " and the failure. */
        Future<String> post(String session, String prompt) {
            String body = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + " " + UUID.randomUUID()
                    + "\"}]}";
            return http.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/v1/chat/completions")
                    .putHeader("Content-Type", "application/json").putHeader("X-Session-Id", session))
                    .compose(request -> request.send(Buffer.buffer(body)))
                    .compose(response -> response.body().map(answer -> {
                        answeredAt.add(System.nanoTime());
                        return response.statusCode() + " " + answer;
                    }))
                    .recover(failed -> Future.succeededFuture("failed: " + failed));
        }
    }
}
