package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

import io.strata.testing.Provider;
import io.strata.testing.TestServers;
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
}
