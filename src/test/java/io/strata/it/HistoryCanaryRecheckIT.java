package io.strata.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.strata.testing.TestServers;

/**
 * The encryption keys are checked against their stored canaries even when Postgres is away at
 * start: once it is reachable, a wrong key under a stored key id stops the process (as it would
 * have stopped the start), and the right key lets it carry on.
 */
class HistoryCanaryRecheckIT {

    private static final String RIGHT = Base64.getEncoder()
            .encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
    private static final String WRONG = Base64.getEncoder()
            .encodeToString("fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII));
    /** The schema is retried every 5 s once Postgres is back; the check follows at once. */
    private static final Duration RECHECK = Duration.ofSeconds(30);

    private static TestServers servers;
    private static Map<String, String> config;
    private static String control;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        servers = new TestServers();
        config = new HashMap<>(servers.start());
        control = config.remove("strata.test.control-url");
        config.remove("strata.test.redis-url");
        // a first start with Postgres up stores k1's canary, sealed with the right key
        try (StrataProcess first = StrataProcess.start("canary-store", sealedWith(RIGHT))) {
            assertTrue(first.isAlive());
        }
    }

    @AfterAll
    static void stop() {
        servers.stop();
    }

    @Test
    void aWrongKeyFoundOncePostgresIsBackStopsTheProcess() throws Exception {
        postgres("down");
        StrataProcess strata = StrataProcess.start("canary-wrong", sealedWith(WRONG));
        try {
            assertTrue(StrataProcess.log("canary-wrong").contains("History keys not yet checked"), "the start deferred the check");
            String session = "canary-" + System.nanoTime();
            assertEquals(200, chat(strata, session), "it serves while Postgres is away");
            postgres("up");
            assertEquals(1, strata.exitCodeWithin(RECHECK), "the wrong key stopped the process once Postgres was back");
            assertTrue(StrataProcess.log("canary-wrong").contains("is not the key its rows were sealed with"));
            assertEquals(0L, rows(session), "no row sealed under the wrong key was written (the right key could not open it)");
        } finally {
            postgres("up");
            strata.close();
        }
    }

    @Test
    void theRightKeyCarriesOnOncePostgresIsBack() throws Exception {
        postgres("down");
        StrataProcess strata = StrataProcess.start("canary-right", sealedWith(RIGHT));
        try {
            assertTrue(StrataProcess.log("canary-right").contains("History keys not yet checked"), "the start deferred the check");
            postgres("up");
            await().atMost(RECHECK).pollInterval(Duration.ofMillis(250))
                    .until(() -> StrataProcess.log("canary-right").contains("History keys checked against stored canaries"));
            assertNull(strata.exitCodeWithin(Duration.ofSeconds(2)), "the process carries on");
            assertEquals(200, chat(strata, "canary-" + System.nanoTime()));
        } finally {
            postgres("up");
            strata.close();
        }
    }

    private static Map<String, String> sealedWith(String key) {
        Map<String, String> sealed = new HashMap<>(config);
        sealed.put("strata.history.encryption.enabled", "true");
        sealed.put("strata.history.encryption.active-key", "k1");
        sealed.put("strata.history.encryption.keys.k1", key);
        return sealed;
    }

    private static void postgres(String state) throws Exception {
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(control + "proxy/postgres/" + state))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode());
    }

    private static long rows(String session) throws Exception {
        return SessionRecords.count(config, session);
    }

    private static int chat(StrataProcess strata, String session) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(strata.uri("/v1/chat/completions")).header("Content-Type", "application/json")
                .header("X-Session-Id", session)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"canary "
                        + System.nanoTime() + "\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }
}
