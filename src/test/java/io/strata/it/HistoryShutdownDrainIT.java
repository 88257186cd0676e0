package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.strata.testing.TestServers;

/** SIGTERM drains the history queue: records still queued at shutdown are written before the process exits. */
class HistoryShutdownDrainIT {

    private static TestServers servers;
    private static Map<String, String> config;

    @BeforeAll
    static void start() {
        servers = new TestServers();
        config = new HashMap<>(servers.start());
        config.remove("strata.test.control-url");
        config.remove("strata.test.redis-url");
    }

    @AfterAll
    static void stop() {
        servers.stop();
    }

    @Test
    void recordsQueuedAtShutdownAreWrittenBeforeExit() throws Exception {
        Map<String, String> slowWriter = new HashMap<>(config);
        slowWriter.put("strata.history.writer.max-wait", "10m"); // nothing is written until the batch fills or the app stops
        slowWriter.put("strata.history.writer.batch-size", "10000");
        String session = "drain-" + UUID.randomUUID();
        StrataProcess strata = StrataProcess.start("drain", slowWriter);
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 50; i++) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(strata.uri("/v1/chat/completions"))
                    .header("Content-Type", "application/json").header("X-Session-Id", session)
                    .POST(HttpRequest.BodyPublishers
                            .ofString("{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"q" + i + "\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
        }
        assertEquals(0L, SessionRecords.count(config, session), "still queued while the app runs");
        strata.close(); // SIGTERM
        assertEquals(50L, SessionRecords.count(config, session), "drained on shutdown");
    }

}
