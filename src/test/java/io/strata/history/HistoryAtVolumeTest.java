package io.strata.history;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.strata.config.HistoryConfig;
import io.strata.proxy.RequestIds;
import io.strata.testing.StrataTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * History at volume against real Postgres: session reads that search only the partitions a
 * session spans, responses stored once per scope and content, and erasure and retention that leave
 * neither a span nor content behind that no record needs.
 */
@QuarkusTest
class HistoryAtVolumeTest extends StrataTest {

    private static final String R1 = "{\"id\":\"chatcmpl-1\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"shared answer\"}}]}";
    private static final String R2 = "{\"id\":\"chatcmpl-2\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"A's own answer\"}}]}";

    @Inject
    Pool postgres;

    @Inject
    HistoryRepository repository;

    @Inject
    HistoryService history;

    @Inject
    HistoryWriter writer;

    @Inject
    MeterRegistry registry;

    @Inject
    ObjectMapper json;

    private final String scope = "k:" + UUID.randomUUID().toString().replace("-", "");

    /** Months no other test writes to: 2023-06 (dropped by the retention test) and 2024-01 to 2024-06. */
    @BeforeEach
    void partitions() {
        List<LocalDate> months = new ArrayList<>(List.of(LocalDate.of(2023, 6, 1)));
        for (int m = 1; m <= 6; m++) {
            months.add(LocalDate.of(2024, m, 1));
        }
        for (LocalDate month : months) {
            sql("CREATE TABLE IF NOT EXISTS strata_history_p" + month.toString().substring(0, 7).replace("-", "")
                    + " PARTITION OF strata_history FOR VALUES FROM ('" + month + " 00:00:00+00') TO ('" + month.plusMonths(1)
                    + " 00:00:00+00')");
        }
    }

    @Test
    void aSessionPageSearchesOnlyThePartitionsItSpansAndPagesAcrossTheMonthBoundary() {
        String session = "span-" + UUID.randomUUID();
        List<HistoryRecord> records = new ArrayList<>();
        Instant end = Instant.parse("2024-03-01T00:00:00Z");
        for (int i = -3; i < 3; i++) { // three records on the last day of February, three on the first of March
            records.add(record(session, "u1", end.plusSeconds(i * 600L), R1));
        }
        records.add(record("other-" + UUID.randomUUID(), "u1", Instant.parse("2024-01-15T00:00:00Z"), R1));
        records.add(record("other-" + UUID.randomUUID(), "u1", Instant.parse("2024-05-15T00:00:00Z"), R1));
        repository.insert(records).await().atMost(Duration.ofSeconds(10));

        Set<String> searched = searched(postgres.preparedQuery("EXPLAIN (ANALYZE, FORMAT JSON) " + HistoryRepository.SESSION_PAGE)
                .execute(Tuple.of(session, scope, Cursor.START.time(), Cursor.START.id(), 21)).await().indefinitely());
        assertEquals(Set.of("strata_history_p202402", "strata_history_p202403"), searched,
                "only the session's months are searched (the others are pruned at run time)");
        Set<String> afterCursor = searched(postgres.preparedQuery("EXPLAIN (ANALYZE, FORMAT JSON) " + HistoryRepository.SESSION_PAGE)
                .execute(Tuple.of(session, scope, HistoryRepository.time(end.toEpochMilli()), new UUID(0, 0), 21)).await()
                .indefinitely());
        assertEquals(Set.of("strata_history_p202403"), afterCursor, "a later page does not search the months before its cursor");

        List<String> seen = new ArrayList<>();
        Cursor cursor = null;
        do {
            HistoryService.Page page = history.session(session, scope, cursor, 4).await().indefinitely();
            page.data().forEach(record -> seen.add(record.get("id").asText()));
            cursor = page.nextCursor() == null ? null : Cursor.decode(page.nextCursor());
        } while (cursor != null);
        assertEquals(records.subList(0, 6).stream().map(HistoryRecord::id).toList(), seen, "oldest first, over the month boundary");

        JsonPath first = given().header("Authorization", "Bearer hist-secret").get("/v1/history/sessions/" + session + "?limit=4")
                .jsonPath();
        assertEquals(4, first.getList("data").size());
        assertEquals("shared answer", first.getString("data[3].response.choices[0].message.content"));
        JsonPath second = given().header("Authorization", "Bearer hist-secret")
                .get("/v1/history/sessions/" + session + "?limit=4&cursor=" + first.getString("next_cursor")).jsonPath();
        assertEquals(seen.subList(4, 6), second.getList("data.id"));
    }

    @Test
    void erasureRefitsSpansAndRemovesOnlyTheContentNoRemainingRecordReferences() {
        String onlyA = "a-" + UUID.randomUUID(), onlyB = "b-" + UUID.randomUUID(), mixed = "ab-" + UUID.randomUUID();
        String userA = "ua-" + UUID.randomUUID(), userB = "ub-" + UUID.randomUUID();
        Instant jan = Instant.parse("2024-01-10T10:00:00Z"), mar = Instant.parse("2024-03-10T10:00:00Z");
        HistoryRecord bInMixed = record(mixed, userB, mar, R1);
        HistoryRecord bAlone = record(onlyB, userB, mar.plusSeconds(60), R1);
        repository.insert(List.of(record(onlyA, userA, jan, R1), record(onlyA, userA, jan.plusSeconds(1), R2),
                record(mixed, userA, jan.plusSeconds(2), R2), bInMixed, bAlone)).await().atMost(Duration.ofSeconds(10));
        assertEquals(2, contentRows(), "one content row per distinct response of the scope");
        assertEquals(List.of(ts(jan.plusSeconds(2)), ts(mar)), span(mixed));

        assertEquals(3, history.eraseUser(userA, scope).await().atMost(Duration.ofSeconds(20)));
        assertEquals(List.of(), span(onlyA), "a session all of whose records went has no span left");
        assertEquals(List.of(ts(mar), ts(mar)), span(mixed), "the span shrinks to the records that remain");
        assertEquals(Set.of(digest(R1)), contents(), "R2 was only A's; R1 is still referenced by B's records");
        assertEquals("shared answer", history.record(UUID.fromString(bInMixed.id()), scope).await().indefinitely()
                .at("/response/choices/0/message/content").asText(), "B's record still reads the shared content");
        assertEquals(List.of(bInMixed.id()), ids(history.session(mixed, scope, null, 20).await().indefinitely()));

        assertEquals(1, history.eraseSession(onlyB, scope).await().atMost(Duration.ofSeconds(20)));
        assertEquals(List.of(), span(onlyB));
        assertEquals(Set.of(digest(R1)), contents(), "still referenced by the mixed session's record");
        assertEquals(1, history.eraseSession(mixed, scope).await().atMost(Duration.ofSeconds(20)));
        assertEquals(Set.of(), contents(), "the last reference went: so did the content");
        assertEquals(0, count("SELECT count(*) FROM strata_history_sessions WHERE scope = $1", scope));
    }

    @Test
    void aHitsRecordReferencesTheResponseItsMissStoredAndReadsTheSameBytes() {
        String session = "ref-" + UUID.randomUUID();
        String body = chatBody(uniquePrompt());
        Map<String, String> headers = Map.of("X-Session-Id", session);
        primeCache(body, headers);
        Response hit = chat(body, headers);
        assertEquals("HIT-L1", status(hit));
        String answered = hit.asString();
        chat(body, headers).then().statusCode(200);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> count("SELECT count(*) FROM strata_history WHERE session_id = $1", session) == 3);

        JsonPath page = given().header("Authorization", "Bearer hist-secret").get("/v1/history/sessions/" + session).jsonPath();
        assertEquals(3, page.getList("data").size());
        for (int i = 0; i < 3; i++) {
            assertEquals(new JsonObject(answered).getMap(), page.getMap("data[" + i + "].response"), "the same response, read back");
        }
        RowSet<Row> rows = postgres.preparedQuery(
                "SELECT scope, response_body, response_digest FROM strata_history WHERE session_id = $1").execute(Tuple.of(session))
                .await().indefinitely();
        Set<String> digests = new TreeSet<>();
        String recordScope = null;
        for (Row row : rows) {
            assertNull(row.getBuffer("response_body"), "no record copies the response bytes");
            digests.add(row.getBuffer("response_digest").toString());
            recordScope = row.getString("scope");
        }
        assertEquals(1, digests.size(), "the miss and its hits reference one content row");
        assertEquals(1, count("SELECT count(*) FROM strata_history_content c WHERE scope = $1 AND EXISTS (SELECT 1 FROM strata_history h"
                + " WHERE h.session_id = '" + session + "' AND h.response_digest = c.digest)", recordScope));
    }

    @Test
    void inlineStorageStillKeepsTheBytesOnTheRecord() {
        HistoryRepository inline = new HistoryRepository(postgres, postgres, postgres, storage(HistoryConfig.ResponseStorage.INLINE));
        String session = "inline-" + UUID.randomUUID();
        HistoryRecord record = record(session, "u1", Instant.parse("2024-04-01T12:00:00Z"), R2);
        inline.insert(List.of(record)).await().atMost(Duration.ofSeconds(10));
        Row row = postgres.preparedQuery("SELECT response_body, response_digest FROM strata_history WHERE session_id = $1")
                .execute(Tuple.of(session)).await().indefinitely().iterator().next();
        assertEquals(R2, row.getBuffer("response_body").toString());
        assertNull(row.getBuffer("response_digest"));
        assertEquals(0, contentRows());
        assertEquals("A's own answer", history.session(session, scope, null, 20).await().indefinitely().data().get(0)
                .at("/response/choices/0/message/content").asText());
        assertEquals(List.of(ts(Instant.parse("2024-04-01T12:00:00Z")), ts(Instant.parse("2024-04-01T12:00:00Z"))), span(session));
    }

    @Test
    void aRecordPostgresRefusesIsDroppedAloneAndTheRestKeepTheirSpanAndContent() {
        String session = "poison-" + UUID.randomUUID();
        double before = registry.get("strata.history.dropped").tag("reason", "unstorable").counter().count();
        long now = System.currentTimeMillis();
        List<HistoryRecord> good = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            HistoryRecord record = record(session, "u1", Instant.ofEpochMilli(now + i), R1);
            good.add(record);
            writer.submit(record);
            if (i == 4) { // a NUL in a text column: Postgres refuses the whole batch, the writer splits it
                HistoryRecord poison = record(session, "u1", Instant.ofEpochMilli(now + i), R1);
                writer.submit(new HistoryRecord(poison.id(), poison.timestampMillis(), scope, session, "u1", "chat.completions",
                        "gpt\u0000test", null, poison.request(), null, null, poison.response(), null, null, false, "none", "MISS", 1, null,
                        null, 200, 200, null, null));
            }
        }
        await().atMost(Duration.ofSeconds(10))
                .until(() -> count("SELECT count(*) FROM strata_history WHERE session_id = $1", session) == 8);
        await().atMost(Duration.ofSeconds(5))
                .until(() -> registry.get("strata.history.dropped").tag("reason", "unstorable").counter().count() == before + 1);
        assertEquals(List.of(ts(Instant.ofEpochMilli(now)), ts(Instant.ofEpochMilli(now + 7))), span(session));
        assertEquals(Set.of(digest(R1)), contents());
        assertEquals(good.stream().map(HistoryRecord::id).toList(), ids(history.session(session, scope, null, 20).await().indefinitely()));
    }

    @Test
    void retentionRemovesTheSpansAndTheContentOfDroppedPartitionsOnly() {
        String old = "old-" + UUID.randomUUID(), kept = "kept-" + UUID.randomUUID();
        repository.insert(List.of(record(old, "u1", Instant.parse("2023-06-10T00:00:00Z"), R2),
                record(old, "u1", Instant.parse("2023-06-11T00:00:00Z"), R1),
                record(kept, "u1", Instant.parse("2024-02-10T00:00:00Z"), R1))).await().atMost(Duration.ofSeconds(10));
        sql("DROP TABLE strata_history_p202306"); // what retention does to a month past it
        long swept = RecordDependents.afterRetention(postgres, OffsetDateTime.of(2023, 7, 1, 0, 0, 0, 0, ZoneOffset.UTC)).await()
                .atMost(Duration.ofSeconds(20));
        assertTrue(swept >= 1, "R2 was referenced by the dropped month's records only");
        assertEquals(Set.of(digest(R1)), contents(), "R1 is still referenced by a kept record");
        assertEquals(List.of(), span(old));
        assertFalse(span(kept).isEmpty());
        assertEquals("shared answer", history.session(kept, scope, null, 20).await().indefinitely().data().get(0)
                .at("/response/choices/0/message/content").asText());
    }

    // ---- helpers

    private HistoryRecord record(String session, String user, Instant at, String response) {
        return new HistoryRecord(RequestIds.next(at.toEpochMilli()), at.toEpochMilli(), scope, session, user, "chat.completions",
                "gpt-test", null, "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}".getBytes(StandardCharsets.UTF_8), null, null,
                response == null ? null : response.getBytes(StandardCharsets.UTF_8), null, null, false, "none", "MISS", 1, null, null,
                200, 200, null, null);
    }

    /** The partitions the plan actually searched (scans run at least once; the pruned ones show "never executed"). */
    private static Set<String> searched(RowSet<Row> explained) {
        JsonArray plans = new JsonArray(String.valueOf(explained.iterator().next().getValue(0)));
        Set<String> searched = new TreeSet<>();
        collect(plans.getJsonObject(0).getJsonObject("Plan"), searched);
        return searched;
    }

    private static void collect(JsonObject node, Set<String> searched) {
        String relation = node.getString("Relation Name");
        if (relation != null && relation.startsWith("strata_history_") && !relation.equals("strata_history_sessions")
                && !relation.equals("strata_history_content") && node.getLong("Actual Loops", 0L) > 0) {
            searched.add(relation);
        }
        JsonArray children = node.getJsonArray("Plans");
        if (children != null) {
            for (int i = 0; i < children.size(); i++) {
                collect(children.getJsonObject(i), searched);
            }
        }
    }

    private List<OffsetDateTime> span(String session) {
        RowSet<Row> rows = postgres
                .preparedQuery("SELECT first_ts, last_ts FROM strata_history_sessions WHERE scope = $1 AND session_id = $2")
                .execute(Tuple.of(scope, session)).await().indefinitely();
        if (rows.size() == 0) {
            return List.of();
        }
        Row row = rows.iterator().next();
        return List.of(row.getOffsetDateTime("first_ts"), row.getOffsetDateTime("last_ts"));
    }

    private static OffsetDateTime ts(Instant at) {
        return OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
    }

    private long contentRows() {
        return count("SELECT count(*) FROM strata_history_content WHERE scope = $1", scope);
    }

    private Set<String> contents() {
        Set<String> digests = new TreeSet<>();
        postgres.preparedQuery("SELECT encode(digest, 'hex') FROM strata_history_content WHERE scope = $1").execute(Tuple.of(scope))
                .await().indefinitely().forEach(row -> digests.add(row.getString(0)));
        return digests;
    }

    private static String digest(String body) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> ids(HistoryService.Page page) {
        return page.data().stream().map(record -> record.get("id").asText()).toList();
    }

    private long count(String sql, String argument) {
        return postgres.preparedQuery(sql).execute(Tuple.of(argument)).await().indefinitely().iterator().next().getLong(0);
    }

    private void sql(String sql) {
        postgres.query(sql).execute().await().atMost(Duration.ofSeconds(10));
    }

    private static HistoryConfig storage(HistoryConfig.ResponseStorage storage) {
        return (HistoryConfig) java.lang.reflect.Proxy.newProxyInstance(HistoryConfig.class.getClassLoader(),
                new Class<?>[]{HistoryConfig.class}, (proxy, method, args) -> method.getName().equals("responseStorage") ? storage : null);
    }
}
