package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.strata.testing.StrataTest;
import io.strata.testing.TestRedis;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/** An invalidation larger than one batch: every batch's rows and L1 keys go, and the count is exact. */
@QuarkusTest
@TestProfile(AdminTest.WithAdminToken.class)
class InvalidationBatchesTest extends StrataTest {

    @Inject
    Pool pool;

    @Inject
    TestRedis redis;

    @Test
    void twoAndAHalfBatchesAreRemovedFromBothLayersAndCountedExactly() {
        String namespace = "batches-" + System.nanoTime();
        int entries = 2_500;
        pool.preparedQuery(
                """
                        INSERT INTO strata_cache_entries (cache_key, scope, namespace, endpoint, created_at, expires_at, stale_until, size_bytes, body)
                        SELECT md5($1 || i) || md5(i || $1), 'anonymous', $1, 'chat.completions', now(), now() + interval '1 hour',
                               now() + interval '1 day', 2, '{}'::bytea
                        FROM generate_series(1, $2) AS i""")
                .execute(Tuple.of(namespace, entries)).await().atMost(Duration.ofSeconds(30));
        var keys = pool.preparedQuery("SELECT cache_key FROM strata_cache_entries WHERE namespace = $1").execute(Tuple.of(namespace))
                .await().atMost(Duration.ofSeconds(10));
        keys.forEach(row -> redis.set("strata:v1:" + row.getString(0), "x"));

        Response result = given().header("Authorization", "Bearer adm-secret").contentType("application/json")
                .body("{\"namespace\":\"" + namespace + "\"}").post("/admin/cache/invalidate");
        assertEquals(entries, result.jsonPath().getInt("invalidated"), result.asString());

        long left = pool.preparedQuery("SELECT count(*) FROM strata_cache_entries WHERE namespace = $1").execute(Tuple.of(namespace))
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0);
        assertEquals(0, left);
        long inL1 = 0;
        for (var row : keys) {
            inL1 += redis.exists("strata:v1:" + row.getString(0)) ? 1 : 0;
        }
        assertEquals(0, inL1, "every batch's keys left L1");
    }
}
