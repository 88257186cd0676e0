package io.strata.history;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Singleton;

import io.quarkus.reactive.datasource.ReactiveDataSource;
import io.smallrye.mutiny.Uni;
import io.strata.config.HistoryConfig;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/** The history table through the reactive pool: batched inserts, keyset pages, erasure. */
@Singleton
public class HistoryRepository {

    private static final String COLUMNS = """
            id, ts, scope, session_id, user_id, endpoint, model_requested, model_version,
            request_body, parameters_body, sent_messages,
            coalesce(response_body, (SELECT c.body FROM strata_history_content c
                WHERE c.scope = strata_history.scope AND c.digest = strata_history.response_digest)) AS response_body,
            prompt::text AS prompt, prompt_sent::text AS prompt_sent, response::text AS response,
            parameters::text AS parameters, sealed, key_id, cache_hit, cache_level, cache_status, latency_ms,
            prompt_tokens, completion_tokens, upstream_status, status, similarity, served_key""";

    /**
     * A whole batch in one statement: each column an array, unnested into rows. Bodies are bytea,
     * stored as received: Postgres neither parses nor can refuse them. The same statement upserts
     * the span of each session the batch wrote to (once per distinct session), then the content of
     * the responses stored by reference (once per distinct digest, only for records it wrote; the
     * body of a response travels once per batch, with the first record that has it), in
     * that order and in key order; both upserts lock the rows they leave alone, which erasure
     * relies on ({@link RecordDependents}). A record already written (a retried batch) is skipped.
     */
    private static final String INSERT = """
            WITH written AS (
                INSERT INTO strata_history (id, ts, scope, session_id, user_id, endpoint, model_requested, model_version,
                    request_body, parameters_body, sent_messages, response_body, sealed, key_id, cache_hit, cache_level, cache_status,
                    latency_ms, prompt_tokens, completion_tokens, upstream_status, status, similarity, served_key, response_digest)
                SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                    $8::text[], $9::bytea[], $10::bytea[], $11::bytea[], $12::bytea[], $13::bytea[], $14::text[], $15::bool[],
                    $16::text[], $17::text[], $18::int[], $19::int[], $20::int[], $21::int[], $22::int[], $23::float8[], $24::text[],
                    $25::bytea[])
                ON CONFLICT DO NOTHING
                RETURNING scope, session_id, ts, response_digest
            ), spans AS (
                INSERT INTO strata_history_sessions AS s (scope, session_id, first_ts, last_ts)
                SELECT scope, session_id, min(ts), max(ts) FROM written WHERE session_id IS NOT NULL
                GROUP BY scope, session_id ORDER BY scope, session_id
                ON CONFLICT (scope, session_id) DO UPDATE
                    SET first_ts = least(s.first_ts, EXCLUDED.first_ts), last_ts = greatest(s.last_ts, EXCLUDED.last_ts)
                    WHERE EXCLUDED.first_ts < s.first_ts OR EXCLUDED.last_ts > s.last_ts
                RETURNING 1
            ), content AS (
                INSERT INTO strata_history_content AS c (scope, digest, body)
                SELECT DISTINCT ON (u.scope, u.digest) u.scope, u.digest, u.body
                FROM unnest($3::text[], $25::bytea[], $26::bytea[]) AS u(scope, digest, body)
                WHERE u.body IS NOT NULL AND (SELECT count(*) FROM spans) >= 0
                    AND (u.scope, u.digest) IN (SELECT scope, response_digest FROM written)
                ORDER BY u.scope, u.digest
                ON CONFLICT (scope, digest) DO UPDATE SET body = c.body WHERE false
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM written) AS written, (SELECT count(*) FROM content) AS content""";

    private static final java.util.HexFormat HEX = java.util.HexFormat.of();

    /** Rows whose scope matters: a null scope parameter means "the whole deployment" (the history token). */
    private static final String SCOPED = "($2::text IS NULL OR scope = $2)";

    /**
     * The session's span (its records' first and last timestamps, {@code strata_history_sessions}) as
     * bounds on ts, evaluated once before the records are read: only the monthly partitions it spans
     * are searched (run-time partition pruning). A session without a span (records written before the
     * spans were kept, by an older instance) is searched everywhere, as before.
     */
    private static final String IN_SPAN = " AND ts >= coalesce((SELECT min(first_ts) FROM strata_history_sessions"
            + " WHERE session_id = $1 AND ($2::text IS NULL OR scope = $2)), '-infinity')"
            + " AND ts <= coalesce((SELECT max(last_ts) FROM strata_history_sessions"
            + " WHERE session_id = $1 AND ($2::text IS NULL OR scope = $2)), 'infinity')";

    private final Pool pool;
    private final Pool writes;
    private final Pool reads;
    private final boolean byReference;

    /**
     * The history API's reads go through the read pool (a replica when one is configured: a record
     * appears there once replicated); continuation and erasure through the primary's default pool,
     * so a continued request sees the turn just written and an erasure is never answered from a
     * copy; inserts through the history writer's own pool.
     */
    public HistoryRepository(Pool pool, @ReactiveDataSource("history") Pool writes, @ReactiveDataSource("reads") Pool reads,
            HistoryConfig config) {
        this.pool = pool;
        this.writes = writes;
        this.reads = reads;
        this.byReference = config != null && config.responseStorage() == HistoryConfig.ResponseStorage.REFERENCE;
    }

    /** One statement for the whole batch; a record already written (a retried batch) is skipped. */
    public Uni<Integer> insert(List<HistoryRecord> batch) {
        int n = batch.size();
        UUID[] ids = new UUID[n];
        OffsetDateTime[] times = new OffsetDateTime[n];
        String[] scopes = new String[n], sessions = new String[n], users = new String[n], endpoints = new String[n];
        String[] requested = new String[n], versions = new String[n], keyIds = new String[n], levels = new String[n];
        String[] statuses = new String[n];
        io.vertx.core.buffer.Buffer[] requests = new io.vertx.core.buffer.Buffer[n], parameters = new io.vertx.core.buffer.Buffer[n];
        io.vertx.core.buffer.Buffer[] sent = new io.vertx.core.buffer.Buffer[n], responses = new io.vertx.core.buffer.Buffer[n];
        io.vertx.core.buffer.Buffer[] sealed = new io.vertx.core.buffer.Buffer[n];
        Boolean[] hits = new Boolean[n];
        Integer[] latencies = new Integer[n], promptTokens = new Integer[n], completionTokens = new Integer[n];
        Integer[] upstream = new Integer[n], status = new Integer[n];
        Double[] similarities = new Double[n];
        String[] servedKeys = new String[n];
        io.vertx.core.buffer.Buffer[] digests = new io.vertx.core.buffer.Buffer[n], contents = new io.vertx.core.buffer.Buffer[n];
        MessageDigest sha256 = byReference ? sha256() : null;
        // a response repeated in the batch (hits of one answer) is sent to Postgres once; its other records carry the digest alone
        java.util.Set<String> sentContent = byReference ? new java.util.HashSet<>() : null;
        for (int i = 0; i < n; i++) {
            HistoryRecord r = batch.get(i);
            ids[i] = UUID.fromString(r.id());
            times[i] = time(r.timestampMillis());
            scopes[i] = r.scope();
            sessions[i] = r.sessionId();
            users[i] = r.userId();
            endpoints[i] = r.endpoint();
            requested[i] = r.modelRequested();
            versions[i] = r.modelVersion();
            requests[i] = bytes(r.request());
            parameters[i] = bytes(r.parameters());
            sent[i] = bytes(r.sentMessages());
            if (sha256 != null && r.response() != null) { // sealed records hold no response of their own: it is in the sealed bytes
                byte[] digest = sha256.digest(r.response());
                digests[i] = io.vertx.core.buffer.Buffer.buffer(digest);
                if (sentContent.add(r.scope() + ' ' + HEX.formatHex(digest))) {
                    contents[i] = bytes(r.response());
                }
            } else {
                responses[i] = bytes(r.response());
            }
            sealed[i] = bytes(r.sealed());
            keyIds[i] = r.keyId();
            hits[i] = r.cacheHit();
            levels[i] = r.cacheLevel();
            statuses[i] = r.cacheStatus();
            latencies[i] = r.latencyMs();
            promptTokens[i] = r.promptTokens();
            completionTokens[i] = r.completionTokens();
            upstream[i] = r.upstreamStatus();
            status[i] = r.status();
            similarities[i] = r.similarity();
            servedKeys[i] = r.servedKey();
        }
        Tuple columns = Tuple.tuple()
                .addArrayOfUUID(ids).addArrayOfOffsetDateTime(times)
                .addArrayOfString(scopes).addArrayOfString(sessions).addArrayOfString(users).addArrayOfString(endpoints)
                .addArrayOfString(requested).addArrayOfString(versions)
                .addValue(requests).addValue(parameters).addValue(sent).addValue(responses).addValue(sealed)
                .addArrayOfString(keyIds).addArrayOfBoolean(hits).addArrayOfString(levels).addArrayOfString(statuses)
                .addArrayOfInteger(latencies).addArrayOfInteger(promptTokens).addArrayOfInteger(completionTokens)
                .addArrayOfInteger(upstream).addArrayOfInteger(status).addArrayOfDouble(similarities).addArrayOfString(servedKeys)
                .addValue(digests).addValue(contents);
        return writes.preparedQuery(INSERT).execute(columns).map(rows -> rows.iterator().next().getLong("written").intValue());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static io.vertx.core.buffer.Buffer bytes(byte[] value) {
        return value == null ? null : io.vertx.core.buffer.Buffer.buffer(value);
    }

    /** One record; the id (a UUID v7) names its time, so only the partitions around it are searched. */
    public Uni<StoredRecord> byId(UUID id, String scope) {
        long millis = id.getMostSignificantBits() >>> 16;
        return reads.preparedQuery("SELECT " + COLUMNS + " FROM strata_history WHERE id = $1 AND " + SCOPED
                + " AND ts BETWEEN $3 AND $4")
                .execute(Tuple.of(id, scope, time(millis - 86_400_000L), time(millis + 86_400_000L)))
                .map(rows -> rows.size() == 0 ? null : toRecord(rows.iterator().next()));
    }

    /** A session's page: $1 session, $2 scope (null: all), $3 and $4 the cursor (ts, id), $5 the limit. */
    static final String SESSION_PAGE = "SELECT " + COLUMNS + " FROM strata_history WHERE session_id = $1 AND " + SCOPED
            + IN_SPAN + " AND ts >= $3 AND (ts, id) > ($3, $4) ORDER BY ts, id LIMIT $5";

    /** A session's records, oldest first, after the cursor (which prunes the partitions before it too). */
    public Uni<List<StoredRecord>> session(String sessionId, String scope, Cursor after, int limit) {
        Cursor from = after == null ? Cursor.START : after;
        return reads.preparedQuery(SESSION_PAGE)
                .execute(Tuple.of(sessionId, scope, from.time(), from.id(), limit))
                .map(HistoryRepository::toRecords);
    }

    /** A user's records in [from, to), newest first, before the cursor. */
    public Uni<List<StoredRecord>> user(String userId, String scope, Instant from, Instant to, Cursor before, int limit) {
        Cursor until = before == null ? Cursor.END : before;
        return reads.preparedQuery("SELECT " + COLUMNS + " FROM strata_history WHERE user_id = $1 AND " + SCOPED
                + " AND ts >= $3 AND ts < $4 AND (ts, id) < ($5, $6) ORDER BY ts DESC, id DESC LIMIT $7")
                .execute(Tuple.tuple().addString(userId).addString(scope)
                        .addOffsetDateTime(OffsetDateTime.ofInstant(from, ZoneOffset.UTC))
                        .addOffsetDateTime(OffsetDateTime.ofInstant(to, ZoneOffset.UTC))
                        .addOffsetDateTime(until.time()).addUUID(until.id()).addInteger(limit))
                .map(HistoryRepository::toRecords);
    }

    /**
     * Sessions with activity in [from, to), most recently active first, before the cursor; a
     * session-id prefix and a user id narrow the list. Counts are those of the window.
     */
    public Uni<List<SessionSummary>> sessions(String scope, Instant from, Instant to, String sessionPrefix, String userId,
            SessionCursor before, int limit) {
        SessionCursor until = before == null ? SessionCursor.END : before;
        return reads.preparedQuery("""
                SELECT session_id, min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS records,
                    count(*) FILTER (WHERE cache_hit) AS hits, count(*) FILTER (WHERE status >= 400) AS errors,
                    (array_agg(user_id ORDER BY ts DESC) FILTER (WHERE user_id IS NOT NULL))[1] AS user_id,
                    (array_agg(model_requested ORDER BY ts DESC) FILTER (WHERE model_requested IS NOT NULL))[1] AS model
                FROM strata_history
                WHERE session_id IS NOT NULL AND ($1::text IS NULL OR scope = $1) AND ts >= $2 AND ts < $3
                    AND ($4::text IS NULL OR starts_with(session_id, $4)) AND ($5::text IS NULL OR user_id = $5)
                GROUP BY session_id
                HAVING (max(ts), session_id) < ($6, $7)
                ORDER BY last_ts DESC, session_id DESC LIMIT $8""")
                .execute(Tuple.tuple().addString(scope)
                        .addOffsetDateTime(OffsetDateTime.ofInstant(from, ZoneOffset.UTC))
                        .addOffsetDateTime(OffsetDateTime.ofInstant(to, ZoneOffset.UTC))
                        .addString(sessionPrefix).addString(userId)
                        .addOffsetDateTime(until.lastActivity()).addString(until.sessionId()).addInteger(limit))
                .map(rows -> {
                    List<SessionSummary> sessions = new ArrayList<>(rows.size());
                    rows.forEach(row -> sessions.add(new SessionSummary(row.getString("session_id"), row.getString("user_id"),
                            row.getOffsetDateTime("first_ts"), row.getOffsetDateTime("last_ts"), row.getLong("records"),
                            row.getLong("hits"), row.getLong("errors"), row.getString("model"))));
                    return sessions;
                });
    }

    /** The latest answered exchanges of a session on one endpoint (newest first), for continuation. */
    public Uni<List<StoredRecord>> latestExchanges(String sessionId, String scope, String endpoint, int limit) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM strata_history WHERE session_id = $1 AND " + SCOPED
                + IN_SPAN + " AND endpoint = $4 AND status = 200 ORDER BY ts DESC, id DESC LIMIT $3")
                .execute(Tuple.of(sessionId, scope, limit, endpoint))
                .map(HistoryRepository::toRecords);
    }

    /**
     * Erases a session's records, its span and the content only they referenced, in one transaction;
     * every partition is searched (not only the span's): erasure must not depend on the span being right.
     */
    public Uni<Integer> deleteSession(String sessionId, String scope) {
        return erase("DELETE FROM strata_history WHERE session_id = $1 AND " + SCOPED + ERASED, Tuple.of(sessionId, scope));
    }

    /** Erases a user's records, refits the spans of their sessions, removes the content only they referenced. */
    public Uni<Integer> deleteUser(String userId, String scope) {
        return erase("DELETE FROM strata_history WHERE user_id = $1 AND " + SCOPED + ERASED, Tuple.of(userId, scope));
    }

    private static final String ERASED = " RETURNING scope, session_id, response_digest";

    /** A deadlock with a writer's batch (both lock spans and content) is retried: the erasure must not fail for it. */
    private Uni<Integer> erase(String delete, Tuple arguments) {
        return pool.withTransaction(connection -> connection.preparedQuery(delete).execute(arguments)
                .chain(gone -> RecordDependents.afterErasure(connection, gone).replaceWith(gone.rowCount())))
                .onFailure(HistoryRepository::deadlocked).retry().atMost(3);
    }

    private static boolean deadlocked(Throwable failure) {
        return failure instanceof io.vertx.pgclient.PgException pg
                && ("40P01".equals(pg.getSqlState()) || "40001".equals(pg.getSqlState()));
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
                bytes(row, "request_body"), bytes(row, "parameters_body"), bytes(row, "sent_messages"), bytes(row, "response_body"),
                row.getString("prompt"), row.getString("prompt_sent"), row.getString("response"), row.getString("parameters"),
                sealed == null ? null : sealed.getBytes(), row.getString("key_id"),
                row.getBoolean("cache_hit"), row.getString("cache_level"), row.getString("cache_status"),
                row.getInteger("latency_ms"), row.getInteger("prompt_tokens"), row.getInteger("completion_tokens"),
                row.getInteger("upstream_status"), row.getInteger("status"), row.getDouble("similarity"), row.getString("served_key"));
    }

    private static byte[] bytes(Row row, String column) {
        Buffer value = row.getBuffer(column);
        return value == null ? null : value.getBytes();
    }

    static OffsetDateTime time(long millis) {
        return OffsetDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
    }
}
