package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.strata.testing.TestServers;

/** The packaged application restarted keeps its semantic entries: the vectors are in L2, not in the process. */
class SemanticRestartIT {

    private static TestServers servers;
    private static Map<String, String> config;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        servers = new TestServers();
        config = new HashMap<>(servers.start());
        config.remove("strata.test.control-url");
        config.remove("strata.test.redis-url");
        config.put("strata.cache.semantic.enabled", "true");
        config.put("strata.cache.semantic.timeout", "5s"); // a cold model on a shared machine
        if (System.getProperty("native.image.path") != null) {
            config.put("strata.cache.semantic.embedder", "provider"); // the JNI model does not run in a native image
        }
    }

    @AfterAll
    static void stop() {
        servers.stop();
    }

    private static HttpResponse<String> ask(StrataProcess strata, String question) throws Exception {
        String body = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + question + "\"}]}";
        return HTTP.send(HttpRequest.newBuilder(strata.uri("/v1/chat/completions")).header("Content-Type", "application/json")
                .header("X-Cache-Namespace", "restart").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void semanticEntriesSurviveARestart() throws Exception {
        StrataProcess first = StrataProcess.start("semantic-1", config);
        HttpResponse<String> base;
        try {
            base = ask(first, "How do I reset my password?");
            assertEquals("MISS", base.headers().firstValue("X-Cache-Status").orElse(null));
            // the vector is stored after the answer (a paraphrase asked before would be stored as an entry of its own)
            Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> HTTP.send(
                    HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + first.managementPort + "/q/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body().contains("strata_cache_semantic_stores_total{outcome=\"stored\"} 1.0"));
            assertEquals("HIT-SEMANTIC", ask(first, "How can I reset my password?").headers().firstValue("X-Cache-Status").orElse(null));
        } finally {
            first.close();
        }
        StrataProcess second = StrataProcess.start("semantic-2", config);
        try {
            HttpResponse<String> paraphrase = ask(second, "How can I reset my password?");
            assertEquals("HIT-SEMANTIC", paraphrase.headers().firstValue("X-Cache-Status").orElse(null));
            assertEquals(base.headers().firstValue("X-Cache-Key"), paraphrase.headers().firstValue("X-Cache-Key"));
            assertEquals(base.body(), paraphrase.body());
        } finally {
            second.close();
        }
    }
}
