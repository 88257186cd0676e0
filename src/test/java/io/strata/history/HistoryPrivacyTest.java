package io.strata.history;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strata.testing.StrataTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/** Redacted mode with a custom pattern, and retention by whole partitions. */
@QuarkusTest
@TestProfile(HistoryPrivacyTest.Redacted.class)
class HistoryPrivacyTest extends StrataTest {

    public static class Redacted implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "strata.history.mode", "redacted",
                    "strata.history.redaction.patterns", "ACCT-[0-9]{6}",
                    "strata.history.retention-days", "40");
        }
    }

    @Inject
    Pool postgres;

    @Inject
    PartitionManager partitions;

    @Test
    void personalDataIsRedactedBeforeItReachesTheTable() {
        String session = "s-" + UUID.randomUUID();
        String secret = "Mail ada@example.com, call +44 20 7946 0958, card 4111 1111 1111 1111, account ACCT-123456, order 2024-08-06";
        chat(chatBody(secret), Map.of("X-Session-Id", session)).then().statusCode(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> rows(session) == 1);
        Row row = postgres.preparedQuery(
                "SELECT convert_from(request_body, 'UTF8'), convert_from(coalesce(response_body, (SELECT c.body FROM strata_history_content c"
                        + " WHERE c.scope = h.scope AND c.digest = h.response_digest)), 'UTF8') FROM strata_history h WHERE session_id = $1")
                .execute(Tuple.of(session)).await().indefinitely().iterator().next();
        String stored = row.getString(0);
        assertFalse(stored.contains("ada@example.com"), stored);
        assertFalse(stored.contains("7946"), stored);
        assertFalse(stored.contains("4111"), stored);
        assertFalse(stored.contains("ACCT-123456"), stored);
        assertTrue(stored.contains("[REDACTED:email]") && stored.contains("[REDACTED:phone]") && stored.contains("[REDACTED:card]")
                && stored.contains("[REDACTED]"), stored);
        assertTrue(stored.contains("order 2024-08-06"), "a date is not a phone number: " + stored);
        assertFalse(row.getString(1).contains("ada@example.com"), "the response is redacted too");
        // the client got the real answer: redaction is for storage only
        assertEquals(1, given().header("Authorization", "Bearer sk-test-a").get("/v1/history/sessions/" + session)
                .jsonPath().getList("data").size());
    }

    @Test
    void retentionDropsWholePartitionsOlderThanItAndKeepsCurrentOnes() {
        postgres.query("CREATE TABLE IF NOT EXISTS strata_history_p202001 PARTITION OF strata_history "
                + "FOR VALUES FROM ('2020-01-01 00:00:00+00') TO ('2020-02-01 00:00:00+00')").execute().await().indefinitely();
        partitions.maintain().await().atMost(Duration.ofSeconds(10));
        assertNull(table("strata_history_p202001"), "a partition past retention is dropped");
        String current = "strata_history_p" + LocalDate.now(ZoneOffset.UTC).toString().substring(0, 7).replace("-", "");
        assertEquals(current, table(current), "the current month's partition exists");
        String ahead = "strata_history_p" + LocalDate.now(ZoneOffset.UTC).plusMonths(2).toString().substring(0, 7).replace("-", "");
        assertEquals(ahead, table(ahead), "partitions are created ahead");
    }

    private String table(String name) {
        var rows = postgres.preparedQuery("SELECT relname FROM pg_class WHERE relname = $1").execute(Tuple.of(name)).await().indefinitely();
        return rows.size() == 0 ? null : rows.iterator().next().getString(0);
    }

    private long rows(String session) {
        return postgres.preparedQuery("SELECT count(*) FROM strata_history WHERE session_id = $1").execute(Tuple.of(session))
                .await().indefinitely().iterator().next().getLong(0);
    }
}
