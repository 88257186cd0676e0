package io.strata.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/** The layers against real Redis and Postgres: miss, L1 hit, L2 hit and promotion, expiry, stale grace. */
@QuarkusTest
class CacheFlowTest extends StrataTest {

    @Inject
    TestRedis redis;

    @Inject
    Pool postgres;

    @Test
    void missThenL1Hit() {
        String body = chatBody(uniquePrompt());
        Response miss = chat(body);
        miss.then().statusCode(200);
        assertEquals("MISS", status(miss));
        assertNull(miss.header("Age"));
        assertEquals("99", miss.header("x-ratelimit-remaining-requests"), "provider headers pass through on a miss");
        String key = miss.header("X-Cache-Key");
        assertEquals(64, key.length());
        assertNotNull(miss.header("X-Request-Id"));

        awaitInL1(key);
        Response hit = chat(body);
        hit.then().statusCode(200);
        assertEquals("HIT-L1", status(hit));
        assertEquals(key, hit.header("X-Cache-Key"));
        assertEquals(miss.asString(), hit.asString(), "a hit returns the stored answer unchanged");
        assertEquals("0", hit.header("Age"));
        assertNull(hit.header("x-ratelimit-remaining-requests"), "hits do not invent provider headers");
        assertNotEquals(miss.header("X-Request-Id"), hit.header("X-Request-Id"));
        assertEquals(1, Provider.calls());
    }

    @Test
    void anImmediateRepeatIsAnL1HitNotAnL2One() {
        // no wait between the two: the repeat may arrive while the miss's write-back is still landing
        java.util.List<String> statuses = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String body = chatBody(uniquePrompt());
            assertEquals("MISS", status(chat(body)));
            statuses.add(status(chat(body)));
        }
        assertTrue(statuses.stream().allMatch(s -> s.equals("HIT-L1") || s.equals("COALESCED")),
                "every immediate repeat answered from L1 (or joined the flight): " + statuses);
    }

    @Test
    void aHitIsTheStoredBytesInOnePieceWithItsContentLength() {
        String body = chatBody(uniquePrompt());
        Response miss = chat(body);
        byte[] provided = miss.asByteArray();
        awaitInL1(miss.header("X-Cache-Key"));
        Response hit = chat(body);
        assertEquals("HIT-L1", status(hit));
        assertEquals(Integer.toString(provided.length), hit.header("Content-Length"));
        assertNull(hit.header("Transfer-Encoding"), "a whole answer is not sent chunked");
        assertArrayEquals(provided, hit.asByteArray(), "the provider's bytes, unchanged");
    }

    @Test
    void anImmediateRepeatIsNeverAnL2HitNorASecondCall() {
        for (int i = 0; i < 20; i++) {
            String body = chatBody(uniquePrompt());
            assertEquals("MISS", status(chat(body)));
            String repeat = status(chat(body));
            assertTrue(repeat.equals("HIT-L1") || repeat.equals("COALESCED"), "repeat answered " + repeat);
        }
        assertEquals(20, Provider.calls());
    }

    @Test
    void l2HitAfterL1IsFlushedIsPromotedToL1() {
        String body = chatBody(uniquePrompt());
        String key = chat(body).header("X-Cache-Key");
        awaitInL1(key);
        redis.del("strata:v1:" + key);

        Response fromL2 = chat(body);
        assertEquals("HIT-L2", status(fromL2));
        assertEquals("answer #1", fromL2.jsonPath().getString("choices[0].message.content"));

        awaitInL1(key);
        assertEquals("HIT-L1", status(chat(body)));
        assertEquals(1, Provider.calls());
    }

    @Test
    void entryExpiresAfterItsTtl() {
        String body = chatBody(uniquePrompt());
        Map<String, String> oneSecond = Map.of("X-Cache-TTL", "1");
        String key = chat(body, oneSecond).header("X-Cache-Key");
        awaitInL1(key);
        assertEquals("HIT-L1", status(chat(body)));

        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200))
                .until(() -> "MISS".equals(status(chat(body))));
        assertEquals(2, Provider.calls());
        assertEquals("answer #2", chat(body).jsonPath().getString("choices[0].message.content"));
    }

    @Test
    void expiredEntryInsideItsGraceAnswersStaleWhenTheProviderFails() {
        String body = chatBody(uniquePrompt());
        String key = chat(body, Map.of("X-Cache-TTL", "1")).header("X-Cache-Key");
        awaitInL2(key);
        await().atMost(Duration.ofSeconds(5)).until(() -> !l1Has(key) && expiredInL2(key));

        Provider.always(Provider.status(500, "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}"));
        Response stale = chat(body);
        stale.then().statusCode(200);
        assertEquals("STALE", status(stale));
        assertEquals("answer #1", stale.jsonPath().getString("choices[0].message.content"));
        assertTrue(Integer.parseInt(stale.header("Age")) >= 1);
        assertEquals(key, stale.header("X-Cache-Key"));
    }

    @Test
    void l2RowsCarryTheModelVersionTheProviderReported() {
        String key = chat(chatBody(uniquePrompt())).header("X-Cache-Key");
        awaitInL2(key);
        String model = postgres.preparedQuery("SELECT model_version FROM strata_cache_entries WHERE cache_key = $1")
                .execute(Tuple.of(key)).await().indefinitely().iterator().next().getString(0);
        assertEquals("gpt-test-2024-08-06", model);
    }

    private void awaitInL2(String key) {
        await().atMost(Duration.ofSeconds(5)).until(() -> postgres
                .preparedQuery("SELECT 1 FROM strata_cache_entries WHERE cache_key = $1").execute(Tuple.of(key))
                .await().indefinitely().size() == 1);
    }

    private boolean l1Has(String key) {
        return redis.exists("strata:v1:" + key);
    }

    private boolean expiredInL2(String key) {
        return postgres.preparedQuery("SELECT 1 FROM strata_cache_entries WHERE cache_key = $1 AND expires_at < now()")
                .execute(Tuple.of(key)).await().indefinitely().size() == 1;
    }
}
