package io.strata.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The semantic layer with the provider's embeddings: vectors come from /v1/embeddings with the
 * caller's key and are cached like any embedding; an embedding that fails or is late makes the
 * request a plain miss, answered by the provider as if the layer were off.
 */
@QuarkusTest
@TestProfile(SemanticProviderEmbedderTest.ProviderEmbeddings.class)
class SemanticProviderEmbedderTest extends StrataTest {

    public static class ProviderEmbeddings implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strata.cache.semantic.enabled", "true", "strata.cache.semantic.embedder", "provider",
                    "strata.cache.semantic.embedding-model", "embed-test", "strata.cache.semantic.timeout", "300ms");
        }
    }

    @Inject
    Pool pool;

    private static JsonObject embedding(double... values) {
        JsonArray vector = new JsonArray();
        for (double v : values) {
            vector.add(v);
        }
        return new JsonObject().put("body", new JsonObject().put("object", "list").put("model", "embed-test")
                .put("data", new JsonArray().add(new JsonObject().put("object", "embedding").put("index", 0).put("embedding", vector)))
                .put("usage", new JsonObject().put("prompt_tokens", 5).put("total_tokens", 5)).encode());
    }

    private static String question(String text) {
        return "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    private static Map<String, String> namespace(String name) {
        return Map.of("X-Cache-Namespace", name + "-" + System.nanoTime());
    }

    private void awaitVector(String cacheKey) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> pool
                .preparedQuery("SELECT 1 FROM strata_semantic_entries WHERE cache_key = $1").execute(Tuple.of(cacheKey))
                .await().atMost(Duration.ofSeconds(5)).size() == 1);
    }

    @Test
    void providerVectorsServeAParaphraseAndAreCachedLikeAnyEmbedding() {
        Map<String, String> headers = namespace("provider");
        Provider.script(embedding(1, 0, 0));
        Response base = chat(question("How do I reset my password?"), headers);
        assertEquals("MISS", status(base));
        awaitVector(base.header("X-Cache-Key"));

        Provider.script(embedding(0.99, 0.1, 0));
        Response paraphrase = chat(question("How can I reset my password?"), headers);
        assertEquals("HIT-SEMANTIC", status(paraphrase));
        assertEquals(base.header("X-Cache-Key"), paraphrase.header("X-Cache-Key"));

        List<Provider.Recorded> requests = Provider.requests();
        Provider.Recorded embed = requests.get(requests.size() - 1);
        assertEquals("/v1/embeddings", embed.path());
        assertEquals("embed-test", embed.json().getString("model"));
        assertEquals("How can I reset my password?", embed.json().getString("input"));
        assertEquals("Bearer sk-test-a", embed.headers().getString("authorization"), "the caller's key");

        // the same text again (its own exact entry is not there: it was a semantic hit): embedded from the cache
        int calls = Provider.calls();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
            Response again = chat(question("How can I reset my password?"), headers);
            return "HIT-SEMANTIC".equals(status(again)) && Provider.calls() == calls;
        });
    }

    @Test
    void aFailingEmbeddingIsAPlainMiss() {
        Map<String, String> headers = namespace("failing");
        Provider.script(Provider.status(400, "{\"error\":{\"message\":\"no embeddings here\"}}"));
        Response answer = chat(question("How do I cancel my subscription?"), headers);
        answer.then().statusCode(200);
        assertEquals("MISS", status(answer));
        assertTrue(answer.jsonPath().getString("choices[0].message.content").startsWith("answer #"));
    }

    @Test
    void aSlowEmbeddingIsAPlainMiss() {
        Map<String, String> headers = namespace("slow");
        Provider.script(Provider.delayed(1500).mergeIn(embedding(1, 0, 0)));
        long start = System.nanoTime();
        Response answer = chat(question("How do I delete my account?"), headers);
        long millis = (System.nanoTime() - start) / 1_000_000;
        answer.then().statusCode(200);
        assertEquals("MISS", status(answer));
        assertTrue(millis < 1400, "the request did not wait for the embedding: " + millis + " ms");
    }
}
