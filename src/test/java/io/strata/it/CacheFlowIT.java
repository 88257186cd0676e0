package io.strata.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.restassured.response.Response;
import io.strata.testing.Provider;

/** The packaged app's cache layers against real Redis and Postgres: miss, L1 hit, L2 hit and promotion, expiry, stale grace. */
@QuarkusIntegrationTest
class CacheFlowIT extends PackagedAppTest {

    @Test
    void missThenL1HitIsTheStoredBytes() {
        String body = chatBody(uniquePrompt());
        Response miss = chat(body);
        miss.then().statusCode(200);
        assertEquals("MISS", status(miss));
        assertEquals("99", miss.header("x-ratelimit-remaining-requests"), "provider headers pass through on a miss");
        String key = miss.header("X-Cache-Key");
        assertEquals(64, key.length());

        awaitInL1(key);
        Response hit = chat(body);
        assertEquals("HIT-L1", status(hit));
        assertEquals("0", hit.header("Age"));
        assertNull(hit.header("x-ratelimit-remaining-requests"), "hits do not invent provider headers");
        assertArrayEquals(miss.asByteArray(), hit.asByteArray(), "the provider's bytes, unchanged");
        assertEquals(Integer.toString(miss.asByteArray().length), hit.header("Content-Length"));
        assertEquals(1, Provider.calls());
    }

    @Test
    void l2HitAfterL1IsFlushedIsPromotedToL1() {
        String body = chatBody(uniquePrompt());
        String key = chat(body).header("X-Cache-Key");
        awaitInL1(key);
        awaitInL2(key);
        stores.deleteFromL1(key);

        Response fromL2 = chat(body);
        assertEquals("HIT-L2", status(fromL2));
        assertEquals("answer #1", fromL2.jsonPath().getString("choices[0].message.content"));
        awaitInL1(key);
        assertEquals("HIT-L1", status(chat(body)));
        assertEquals(1, Provider.calls());
        assertEquals("gpt-test-2024-08-06", stores.query("SELECT model_version FROM strata_cache_entries WHERE cache_key = $1", key)
                .iterator().next().getString(0), "the row carries the model version the provider reported");
    }

    @Test
    void entryExpiresAfterItsTtl() {
        String body = chatBody(uniquePrompt());
        Map<String, String> oneSecond = Map.of("X-Cache-TTL", "1");
        awaitInL1(chat(body, oneSecond).header("X-Cache-Key"));
        assertEquals("HIT-L1", status(chat(body)));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200)).until(() -> "MISS".equals(status(chat(body))));
        assertEquals(2, Provider.calls());
        assertEquals("answer #2", chat(body).jsonPath().getString("choices[0].message.content"));
    }

    @Test
    void expiredEntryInsideItsGraceAnswersStaleWhenTheProviderFails() {
        String body = chatBody(uniquePrompt());
        String key = chat(body, Map.of("X-Cache-TTL", "1")).header("X-Cache-Key");
        awaitInL2(key);
        await().atMost(Duration.ofSeconds(5)).until(() -> !stores.inL1(key)
                && stores.count("SELECT count(*) FROM strata_cache_entries WHERE cache_key = $1 AND expires_at < now()", key) == 1);

        Provider.always(Provider.status(500, "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}"));
        Response stale = chat(body);
        stale.then().statusCode(200);
        assertEquals("STALE", status(stale));
        assertEquals("answer #1", stale.jsonPath().getString("choices[0].message.content"));
        assertTrue(Integer.parseInt(stale.header("Age")) >= 1);
        assertEquals(key, stale.header("X-Cache-Key"));
    }

    @Test
    void cacheControlDirectivesApply() {
        String body = chatBody(uniquePrompt());
        Response notCached = chat(body, Map.of("Cache-Control", "only-if-cached"));
        notCached.then().statusCode(504);
        assertEquals("not_cached", notCached.jsonPath().getString("error.code"));
        assertEquals(0, Provider.calls());

        Response bypass = chat(body, Map.of("Cache-Control", "no-store"));
        assertEquals("BYPASS", status(bypass));
        String key = chat(body).header("X-Cache-Key");
        awaitInL1(key);
        assertEquals("MISS", status(chat(body, Map.of("Cache-Control", "no-cache"))), "no-cache skips the lookup");
        assertEquals(3, Provider.calls());
    }
}
