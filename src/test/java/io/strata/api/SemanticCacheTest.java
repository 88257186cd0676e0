package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.strata.cache.NearCache;
import io.strata.semantic.SemanticCache;
import io.strata.testing.Provider;
import io.strata.testing.SemanticProfile;
import io.strata.testing.StrataTest;
import io.strata.testing.TestRedis;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The semantic layer with the bundled model, against real Redis and Postgres: a paraphrase is
 * served the base entry's answer; traps, other contexts, a stricter threshold, {@code off},
 * invalidation, deletion, erasure and expiry all make it a miss; vectors outlive the process's memory.
 */
@QuarkusTest
@TestProfile(SemanticProfile.class)
class SemanticCacheTest extends StrataTest {

    @Inject
    Pool pool;

    @Inject
    TestRedis redis;

    @Inject
    SemanticCache semantic;

    @Inject
    NearCache near;

    @io.quarkus.test.common.http.TestHTTPResource(value = "/metrics", management = true)
    java.net.URL metrics;

    /** A namespace of its own per test: no test's entries are another's candidates. */
    private static Map<String, String> in(String namespace, String... more) {
        Map<String, String> headers = new HashMap<>();
        headers.put("X-Cache-Namespace", namespace + "-" + System.nanoTime());
        for (int i = 0; i < more.length; i += 2) {
            headers.put(more[i], more[i + 1]);
        }
        return headers;
    }

    private static String question(String question) {
        return "{\"model\":\"gpt-test\",\"temperature\":0.2,\"messages\":[{\"role\":\"system\",\"content\":\"You help customers.\"},"
                + "{\"role\":\"user\",\"content\":\"" + question + "\"}]}";
    }

    /** Stores the base question's answer and waits until its vector is in L2. */
    private Response prime(String body, Map<String, String> headers) {
        Response base = chat(body, headers);
        base.then().statusCode(200);
        assertEquals("MISS", status(base));
        awaitVector(base.header("X-Cache-Key"));
        return base;
    }

    private void awaitVector(String cacheKey) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> vectorStored(cacheKey));
    }

    private boolean vectorStored(String cacheKey) {
        return pool.preparedQuery("SELECT 1 FROM strata_semantic_entries WHERE cache_key = $1").execute(Tuple.of(cacheKey))
                .await().atMost(Duration.ofSeconds(5)).size() == 1;
    }

    @Test
    void aParaphraseIsServedTheBaseEntrysAnswer() {
        Map<String, String> headers = in("paraphrase");
        headers.put("X-Session-Id", "sem-" + System.nanoTime());
        Response base = prime(question("How do I reset my password?"), headers);
        int calls = Provider.calls();

        Response paraphrase = chat(question("How can I reset my password?"), headers);
        paraphrase.then().statusCode(200);
        assertEquals("HIT-SEMANTIC", status(paraphrase));
        assertEquals(base.jsonPath().getString("choices[0].message.content"),
                paraphrase.jsonPath().getString("choices[0].message.content"));
        assertEquals(base.header("X-Cache-Key"), paraphrase.header("X-Cache-Key"), "the key of the entry served");
        double similarity = Double.parseDouble(paraphrase.header("X-Cache-Similarity"));
        assertTrue(similarity >= 0.90 && similarity <= 1.0, "similarity " + similarity);
        assertEquals(calls, Provider.calls(), "no provider call");

        JsonPath record = Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
            Response found = client().get("/v1/history/records/" + paraphrase.header("X-Request-Id"));
            return found.statusCode() == 200 ? found.jsonPath() : null;
        }, r -> r != null);
        assertEquals("SEMANTIC", record.getString("metadata.cache_level"));
        assertEquals("HIT-SEMANTIC", record.getString("metadata.cache_status"));
        assertTrue(record.getBoolean("metadata.cache_hit"));
        assertEquals(base.header("X-Cache-Key"), record.getString("metadata.served_key"));
        assertEquals(similarity, record.getDouble("metadata.similarity"), 0.0002);
    }

    @Test
    void aStreamedParaphraseReplaysTheAnswerAsEvents() {
        Map<String, String> headers = in("stream");
        Response base = prime(question("How do I cancel my subscription?"), headers);
        String streamed = "{\"model\":\"gpt-test\",\"temperature\":0.2,\"stream\":true,\"messages\":[{\"role\":\"system\",\"content\":"
                + "\"You help customers.\"},{\"role\":\"user\",\"content\":\"How can I cancel my subscription?\"}]}";
        Response paraphrase = chat(streamed, headers);
        assertEquals("HIT-SEMANTIC", status(paraphrase));
        assertTrue(paraphrase.contentType().startsWith("text/event-stream"));
        assertTrue(paraphrase.asString().contains(base.jsonPath().getString("choices[0].message.content")));
        assertTrue(paraphrase.asString().contains("[DONE]"));
    }

    @Test
    void everyKindOfTrapIsAMiss() {
        Map<String, String> headers = in("traps");
        prime(question("How do I enable two-factor authentication on the Android app within 30 days?"), headers);
        String[] traps = {
                "How do I disable two-factor authentication on the Android app within 30 days?", // opposite action
                "How do I enable two-factor authentication on the iOS app within 30 days?", // other platform
                "How do I enable two-factor authentication on the Android app within 60 days?", // other number
                "Why can't I enable two-factor authentication on the Android app within 30 days?", // negation
                "How do I enable two-factor authentication on the Android app for my Outlook within 30 days?", // other entity
        };
        for (String trap : traps) {
            Response answer = chat(question(trap), headers);
            assertEquals("MISS", status(answer), trap);
        }
        // the same base still serves a paraphrase: the misses above are the guard's, not a broken layer
        assertEquals("HIT-SEMANTIC",
                status(chat(question("How can I enable two-factor authentication on the Android app within 30 days?"), headers)));
    }

    @Test
    void anythingButTheFinalTextDifferingIsAMiss() {
        Map<String, String> headers = in("context");
        prime(question("How do I reset my password?"), headers);
        String paraphrase = "How can I reset my password?";
        String earlierTurn = "{\"model\":\"gpt-test\",\"temperature\":0.2,\"messages\":[{\"role\":\"system\",\"content\":\"You help customers.\"},"
                + "{\"role\":\"user\",\"content\":\"I use the mobile app.\"},{\"role\":\"assistant\",\"content\":\"Noted.\"},"
                + "{\"role\":\"user\",\"content\":\"" + paraphrase + "\"}]}";
        String system = "{\"model\":\"gpt-test\",\"temperature\":0.2,\"messages\":[{\"role\":\"system\",\"content\":\"You help admins.\"},"
                + "{\"role\":\"user\",\"content\":\"" + paraphrase + "\"}]}";
        String temperature = question(paraphrase).replace("\"temperature\":0.2", "\"temperature\":0.7");
        String model = question(paraphrase).replace("gpt-test", "gpt-other");
        assertEquals("MISS", status(chat(earlierTurn, headers)), "another earlier turn");
        assertEquals("MISS", status(chat(system, headers)), "another system prompt");
        assertEquals("MISS", status(chat(temperature, headers)), "another temperature");
        assertEquals("MISS", status(chat(model, headers)), "another model");
        Map<String, String> otherNamespace = new HashMap<>(headers);
        otherNamespace.put("X-Cache-Namespace", headers.get("X-Cache-Namespace") + "-other");
        assertEquals("MISS", status(chat(question(paraphrase), otherNamespace)), "another namespace");
        Response otherScope = given().header("Authorization", "Bearer sk-test-b").contentType("application/json").headers(headers)
                .body(question(paraphrase)).post("/v1/chat/completions");
        assertEquals("MISS", status(otherScope), "another client key");
        assertEquals("HIT-SEMANTIC", status(chat(question(paraphrase), headers)), "the same context still hits");
    }

    @Test
    void aRequestMayTightenTheThresholdOrTurnItOffButNotLoosenIt() {
        Map<String, String> headers = in("threshold");
        prime(question("How do I return an item?"), headers);
        // about 0.86 apart: below the default threshold, and a request cannot lower it
        Response looser = chat(question("What is the process for returning an item?"), with(headers, "X-Cache-Semantic", "0.5"));
        assertEquals("MISS", status(looser));
        Response strict = chat(question("How can I return an item?"), with(headers, "X-Cache-Semantic", "0.999"));
        assertEquals("MISS", status(strict));
        Response off = chat(question("How could I return an item?"), with(headers, "X-Cache-Semantic", "off"));
        assertEquals("MISS", status(off));
        Response plain = chat(question("How would I return an item?"), headers);
        assertEquals("HIT-SEMANTIC", status(plain));
        assertTrue(Double.parseDouble(plain.header("X-Cache-Similarity")) < 0.999);
        client().headers(with(headers, "X-Cache-Semantic", "lots")).body(question("How can I return an item?")).post("/v1/chat/completions")
                .then().statusCode(400).body("error.param", org.hamcrest.Matchers.equalTo("X-Cache-Semantic"));
    }

    @Test
    void invalidationAndAdminDeleteRemoveSemanticEntries() {
        Map<String, String> headers = in("invalidate");
        Response base = prime(question("Where can I download my invoices?"), headers);
        given().header("Authorization", "Bearer adm-secret").contentType("application/json")
                .body("{\"namespace\":\"" + headers.get("X-Cache-Namespace") + "\"}").post("/admin/cache/invalidate")
                .then().statusCode(200);
        assertTrue(!vectorStored(base.header("X-Cache-Key")), "the vector went with its entry");
        assertEquals("MISS", status(chat(question("Where do I download my invoices?"), headers)));

        Map<String, String> other = in("delete");
        Response second = prime(question("What payment methods do you accept?"), other);
        given().header("Authorization", "Bearer adm-secret").delete("/admin/cache/entries/" + second.header("X-Cache-Key"))
                .then().statusCode(200);
        assertTrue(!vectorStored(second.header("X-Cache-Key")));
        assertEquals("MISS", status(chat(question("Which payment methods do you accept?"), other)));
    }

    @Test
    void erasingAUserRemovesTheirQuestions() {
        String user = "sem-user-" + System.nanoTime();
        Map<String, String> headers = in("erase", "X-User-Id", user);
        Response base = prime(question("How do I change my email address?"), headers);
        client().delete("/v1/history/users/" + user).then().statusCode(200).body("semantic_entries", org.hamcrest.Matchers.equalTo(1));
        assertTrue(!vectorStored(base.header("X-Cache-Key")));
        Map<String, String> someoneElse = new HashMap<>(headers);
        someoneElse.remove("X-User-Id");
        assertEquals("MISS", status(chat(question("How can I change my email address?"), someoneElse)));
    }

    @Test
    void anExpiredEntryIsNotServed() throws InterruptedException {
        Map<String, String> headers = in("ttl", "X-Cache-TTL", "1");
        prime(question("How long does shipping take?"), headers);
        Thread.sleep(1100);
        assertEquals("MISS", status(chat(question("How long does it take for shipping?"), headers)));
    }

    @Test
    void vectorsLiveInL2NotInMemory() {
        Map<String, String> headers = in("restart");
        Response base = prime(question("How do I track my order?"), headers);
        // what a restart loses: the candidate sets and entries in memory, and (worst case) Redis
        semantic.forgetIndex();
        near.clear();
        redis.del("strata:v1:" + base.header("X-Cache-Key"));
        Response paraphrase = chat(question("How can I track my order?"), headers);
        assertEquals("HIT-SEMANTIC", status(paraphrase));
        assertEquals(base.jsonPath().getString("choices[0].message.content"),
                paraphrase.jsonPath().getString("choices[0].message.content"));
    }

    @Test
    void aRequestThatIsNotPlainUserTextTakesNoPart() {
        Map<String, String> headers = in("ineligible");
        String tool = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"sunny\"}]}";
        Response first = chat(tool, headers);
        assertEquals("MISS", status(first));
        awaitInL1(first.header("X-Cache-Key"));
        assertTrue(!vectorStored(first.header("X-Cache-Key")));
        assertNull(first.header("X-Cache-Similarity"));
    }

    @Test
    void semanticHitsAreCountedWithTheirSimilarity() {
        Map<String, String> headers = in("metrics");
        prime(question("Is there a student discount?"), headers);
        assertEquals("HIT-SEMANTIC", status(chat(question("Do you offer a student discount?"), headers)));
        String text = given().get(metrics).asString();
        assertTrue(text.contains("strata_cache_semantic_lookups_total{outcome=\"hit\"}"), "lookups by outcome");
        assertTrue(text.contains("strata_cache_semantic_similarity_bucket"), "the similarity histogram");
        assertTrue(text.contains("strata_cache_requests_total{endpoint=\"chat.completions\",status=\"HIT-SEMANTIC\"}"));
        assertNotEquals(-1, text.indexOf("strata_cache_semantic_similarity_count"));
    }

    private static Map<String, String> with(Map<String, String> headers, String name, String value) {
        Map<String, String> copy = new HashMap<>(headers);
        copy.put(name, value);
        return copy;
    }
}
