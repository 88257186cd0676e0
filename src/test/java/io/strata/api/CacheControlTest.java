package io.strata.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;
import io.strata.testing.TestRedis;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/** Request Cache-Control with its HTTP meaning, X-Cache-TTL and X-Cache-Namespace. */
@QuarkusTest
class CacheControlTest extends StrataTest {

    @Inject
    TestRedis redis;

    @Inject
    Pool postgres;

    @Test
    void onlyIfCachedMissIs504NotCachedAndNeverCallsTheProvider() {
        Response response = chat(chatBody(uniquePrompt()), Map.of("Cache-Control", "only-if-cached"));
        response.then().statusCode(504);
        assertEquals("not_cached", response.jsonPath().getString("error.code"));
        assertEquals("MISS", status(response));
        assertEquals(0, Provider.calls());
    }

    @Test
    void onlyIfCachedHitAnswers() {
        String body = chatBody(uniquePrompt());
        primeCache(body, Map.of());
        Response hit = chat(body, Map.of("Cache-Control", "only-if-cached"));
        hit.then().statusCode(200);
        assertEquals("HIT-L1", status(hit));
    }

    @Test
    void noStoreBypassesAndWritesNothing() throws Exception {
        String body = chatBody(uniquePrompt());
        Response bypass = chat(body, Map.of("Cache-Control", "no-store"));
        bypass.then().statusCode(200);
        assertEquals("BYPASS", status(bypass));
        String key = bypass.header("X-Cache-Key");
        Thread.sleep(500); // a write-back, if one were made, lands well within this
        assertFalse(redis.exists("strata:v1:" + key));
        assertEquals(0, rows(key));
        assertEquals("MISS", status(chat(body)), "nothing was stored");
        assertEquals(2, Provider.calls());
    }

    @Test
    void noStoreDoesNotReadEither() {
        String body = chatBody(uniquePrompt());
        primeCache(body, Map.of());
        assertEquals("BYPASS", status(chat(body, Map.of("Cache-Control", "no-store"))));
        assertEquals(2, Provider.calls());
    }

    @Test
    void noCacheRefreshesTheEntry() {
        String body = chatBody(uniquePrompt());
        primeCache(body, Map.of());
        Response refreshed = chat(body, Map.of("Cache-Control", "no-cache"));
        assertEquals("MISS", status(refreshed));
        assertEquals("answer #2", refreshed.jsonPath().getString("choices[0].message.content"));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> "answer #2".equals(chat(body).jsonPath().getString("choices[0].message.content")));
        assertEquals("HIT-L1", status(chat(body)));
        assertEquals(2, Provider.calls(), "the refresh replaced the entry: later reads are hits of the new answer");
    }

    @Test
    void maxAgeZeroRefreshesAndMaxAgeAcceptsYoungEntries() {
        String body = chatBody(uniquePrompt());
        primeCache(body, Map.of());
        assertEquals("HIT-L1", status(chat(body, Map.of("Cache-Control", "max-age=60"))));
        assertEquals("MISS", status(chat(body, Map.of("Cache-Control", "max-age=0"))));
        assertEquals(2, Provider.calls());
    }

    @Test
    void maxAgeRejectsOlderEntries() throws Exception {
        String body = chatBody(uniquePrompt());
        primeCache(body, Map.of());
        Thread.sleep(1_100);
        assertEquals("MISS", status(chat(body, Map.of("Cache-Control", "max-age=1"))));
    }

    @Test
    void namespacePartitionsTheCache() {
        String body = chatBody(uniquePrompt());
        primeCache(body, Map.of("X-Cache-Namespace", "team-a"));
        assertEquals("HIT-L1", status(chat(body, Map.of("X-Cache-Namespace", "team-a"))));
        assertEquals("MISS", status(chat(body, Map.of("X-Cache-Namespace", "team-b"))));
        assertEquals("MISS", status(chat(body)));
    }

    @Test
    void badTtlOrNamespaceIs400AndCallsNothing() {
        Response ttl = chat(chatBody(uniquePrompt()), Map.of("X-Cache-TTL", "soon"));
        ttl.then().statusCode(400);
        assertEquals("X-Cache-TTL", ttl.jsonPath().getString("error.param"));
        chat(chatBody(uniquePrompt()), Map.of("X-Cache-Namespace", "bad namespace!")).then().statusCode(400);
        assertEquals(0, Provider.calls());
    }

    @Test
    void modelsListIsCached() {
        String namespace = "models-" + System.nanoTime();
        Response first = client().header("X-Cache-Namespace", namespace).get("/v1/models");
        first.then().statusCode(200);
        assertEquals("MISS", status(first));
        awaitInL1(first.header("X-Cache-Key"));
        assertEquals("HIT-L1", status(client().header("X-Cache-Namespace", namespace).get("/v1/models")));
        assertEquals("gpt-test", client().header("X-Cache-Namespace", namespace).get("/v1/models").jsonPath().getString("data[0].id"));
        assertEquals(1, Provider.calls());
    }

    private int rows(String key) {
        return postgres.preparedQuery("SELECT 1 FROM strata_cache_entries WHERE cache_key = $1").execute(Tuple.of(key))
                .await().indefinitely().size();
    }
}
