package io.strata.history;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/** The history table through the reactive pool: batched inserts, keyset pages, erasure. */
@ApplicationScoped
public class HistoryRepository {

    private static final String COLUMNS = """
            id, ts, scope, session_id, user_id, endpoint, model_requested, model_version,
            prompt::text AS prompt, prompt_sent::text AS prompt_sent, response::text AS response,
            parameters::text AS parameters, sealed, key_id, cache_hit, cache_level, cache_status, latency_ms,
            prompt_tokens, completion_tokens, upstream_status, status""";

    private static final String INSERT = """
            INSERT INTO strata_history (id, ts, scope, session_id, user_id, endpoint, model_requested, model_version,
                prompt, prompt_sent, response, parameters, sealed, key_id, cache_hit, cache_level, cache_status,
                latency_ms, prompt_tokens, completion_tokens, upstream_status, status)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ($9::text)::jsonb, ($10::text)::jsonb, ($11::text)::jsonb,
                ($12::text)::jsonb, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
            ON CONFLICT DO NOTHING""";

    /** Rows whose scope matters: a null scope parameter means "the whole deployment" (the history token). */
    private static final String SCOPED = "($2::text IS NULL OR scope = $2)";

    private final Pool pool;

    public HistoryRepository(Pool pool) {
        this.pool = pool;
    }

    /** One round trip for the whole batch; a record already written (a retried batch) is skipped. */
    public Uni<Integer> insert(List<HistoryRecord> batch) {
        List<Tuple> rows = new ArrayList<>(batch.size());
        for (HistoryRecord r : batch) {
            rows.add(Tuple.tuple()
                    .addUUID(UUID.fromString(r.id()))
                    .addOffsetDateTime(time(r.timestampMillis()))
                    .addString(r.scope()).addString(r.sessionId()).addString(r.userId()).addString(r.endpoint())
                    .addString(r.modelRequested()).addString(r.modelVersion())
                    .addString(text(r.prompt())).addString(text(r.promptSent())).addString(text(r.response()))
                    .addString(text(r.parameters()))
                    .addValue(r.sealed() == null ? null : io.vertx.core.buffer.Buffer.buffer(r.sealed()))
                    .addString(r.keyId())
                    .addBoolean(r.cacheHit()).addString(r.cacheLevel()).addString(r.cacheStatus())
                    .addInteger(r.latencyMs()).addInteger(r.promptTokens()).addInteger(r.completionTokens())
                    .addInteger(r.upstreamStatus()).addInteger(r.status()));
        }
        return pool.preparedQuery(INSERT).executeBatch(rows).map(ignored -> batch.size());
    }

    /** One record; the id (a UUID v7) names its time, so only the partitions around it are searched. */
    public Uni<StoredRecord> byId(UUID id, String scope) {
        long millis = id.getMostSignificantBits() >>> 16;
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM strata_history WHERE id = $1 AND " + SCOPED
                        + " AND ts BETWEEN $3 AND $4")
                .execute(Tuple.of(id, scope, time(millis - 86_400_000L), time(millis + 86_400_000L)))
                .map(rows -> rows.size() == 0 ? null : toRecord(rows.iterator().next()));
    }

    /** A session's records, oldest first, after the cursor. */
    public Uni<List<StoredRecord>> session(String sessionId, String scope, Cursor after, int limit) {
        Cursor from = after == null ? Cursor.START : after;
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM strata_history WHERE session_id = $1 AND " + SCOPED
                        + " AND (ts, id) > ($3, $4) ORDER BY ts, id LIMIT $5")
                .execute(Tuple.of(sessionId, scope, from.time(), from.id(), limit))
                .map(HistoryRepository::toRecords);
    }

    /** A user's records in [from, to), newest first, before the cursor. */
    public Uni<List<StoredRecord>> user(String userId, String scope, Instant from, Instant to, Cursor before, int limit) {
        Cursor until = before == null ? Cursor.END : before;
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM strata_history WHERE user_id = $1 AND " + SCOPED
                        + " AND ts >= $3 AND ts < $4 AND (ts, id) < ($5, $6) ORDER BY ts DESC, id DESC LIMIT $7")
                .execute(Tuple.tuple().addString(userId).addString(scope)
                        .addOffsetDateTime(OffsetDateTime.ofInstant(from, ZoneOffset.UTC))
                        .addOffsetDateTime(OffsetDateTime.ofInstant(to, ZoneOffset.UTC))
                        .addOffsetDateTime(until.time()).addUUID(until.id()).addInteger(limit))
                .map(HistoryRepository::toRecords);
    }

    /** The latest chat exchanges of a session (newest first), for continuation. */
    public Uni<List<StoredRecord>> latestChats(String sessionId, String scope, int limit) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM strata_history WHERE session_id = $1 AND " + SCOPED
                        + " AND endpoint = 'chat.completions' AND status = 200 ORDER BY ts DESC, id DESC LIMIT $3")
                .execute(Tuple.of(sessionId, scope, limit))
                .map(HistoryRepository::toRecords);
    }

    public Uni<Integer> deleteSession(String sessionId, String scope) {
        return pool.preparedQuery("DELETE FROM strata_history WHERE session_id = $1 AND " + SCOPED)
                .execute(Tuple.of(sessionId, scope)).map(RowSet::rowCount);
    }

    public Uni<Integer> deleteUser(String userId, String scope) {
        return pool.preparedQuery("DELETE FROM strata_history WHERE user_id = $1 AND " + SCOPED)
                .execute(Tuple.of(userId, scope)).map(RowSet::rowCount);
    }

    private static List<StoredRecord> toRecords(RowSet<Row> rows) {
        List<StoredRecord> records = new ArrayList<>(rows.size());
        rows.forEach(row -> records.add(toRecord(row)));
        return records;
    }

    private static StoredRecord toRecord(Row row) {
        Buffer sealed = row.getBuffer("sealed");
        return new StoredRecord(row.getUUID("id"), row.getOffsetDateTime("ts"), row.getString("scope"),
                row.getString("session_id"), row.getString("user_id"), row.getString("endpoint"),
                row.getString("model_requested"), row.getString("model_version"),
                row.getString("prompt"), row.getString("prompt_sent"), row.getString("response"), row.getString("parameters"),
                sealed == null ? null : sealed.getBytes(), row.getString("key_id"),
                row.getBoolean("cache_hit"), row.getString("cache_level"), row.getString("cache_status"),
                row.getInteger("latency_ms"), row.getInteger("prompt_tokens"), row.getInteger("completion_tokens"),
                row.getInteger("upstream_status"), row.getInteger("status"));
    }

    private static String text(byte[] json) {
        return json == null ? null : new String(json, java.nio.charset.StandardCharsets.UTF_8);
    }

    static OffsetDateTime time(long millis) {
        return OffsetDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
    }
}
