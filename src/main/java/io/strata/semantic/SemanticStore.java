package io.strata.semantic;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Singleton;

import io.quarkus.reactive.datasource.ReactiveDataSource;
import io.smallrye.mutiny.Uni;
import io.strata.core.VertxFutures;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

/**
 * The vectors in L2 ({@code strata_semantic_entries}), one row per exact entry, deleted with it
 * (foreign key, cascade): admin delete, invalidation and the clean-up of expired rows need no
 * code here. A candidate set is read by its context key, newest first, fresh entries only.
 */
@Singleton
public class SemanticStore {

    private static final String CANDIDATES = """
            SELECT s.cache_key, s.final_text, s.vector, s.created_at
            FROM strata_semantic_entries s JOIN strata_cache_entries e ON e.cache_key = s.cache_key
            WHERE s.context_key = $1 AND e.expires_at > $2
            ORDER BY s.created_at DESC LIMIT $3""";

    /** Only for an entry that is there: a vector never outlives (nor precedes) its entry. */
    private static final String UPSERT = """
            INSERT INTO strata_semantic_entries (cache_key, context_key, final_text, vector, session_id, user_id, created_at)
            SELECT $1, $2, $3, $4, $5, $6, $7
            FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
            WHERE EXISTS (SELECT 1 FROM strata_cache_entries WHERE cache_key = $1)
            ON CONFLICT (cache_key) DO UPDATE SET context_key = EXCLUDED.context_key, final_text = EXCLUDED.final_text,
                vector = EXCLUDED.vector, session_id = EXCLUDED.session_id, user_id = EXCLUDED.user_id,
                created_at = EXCLUDED.created_at""";

    /** Erasure: the rows keep a user's question as text; the exact entry (a hash and an answer) stays, as any other. */
    private static final String ERASE_USER = """
            DELETE FROM strata_semantic_entries s USING strata_cache_entries e
            WHERE e.cache_key = s.cache_key AND s.user_id = $1 AND ($2::text IS NULL OR e.scope = $2)""";

    private static final String ERASE_SESSION = """
            DELETE FROM strata_semantic_entries s USING strata_cache_entries e
            WHERE e.cache_key = s.cache_key AND s.session_id = $1 AND ($2::text IS NULL OR e.scope = $2)""";

    private static final String COUNT = "SELECT count(*) FROM strata_semantic_entries";

    private final io.vertx.sqlclient.Pool reads;
    private final io.vertx.sqlclient.Pool writes;

    public SemanticStore(Pool reads, @ReactiveDataSource("cache-writes") Pool writes) {
        this.reads = reads.getDelegate();
        this.writes = writes.getDelegate();
    }

    public Uni<List<Candidate>> candidates(String contextKey, long nowMillis, int limit) {
        return VertxFutures.uni(() -> reads.preparedQuery(CANDIDATES).execute(Tuple.of(contextKey, timestamp(nowMillis), limit)))
                .map(rows -> {
                    List<Candidate> found = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        found.add(Candidate.of(row.getString(0), row.getString(1), Vectors.decode(row.getBuffer(2).getBytes()),
                                row.getOffsetDateTime(3).toInstant().toEpochMilli()));
                    }
                    return found;
                });
    }

    /** Answers whether the row was written (false: the entry is not in L2). */
    public Uni<Boolean> put(String cacheKey, SemanticProbe probe, float[] vector, long createdAtMillis) {
        Tuple row = Tuple.tuple().addString(cacheKey).addString(probe.contextKey()).addString(probe.text())
                .addBuffer(Buffer.buffer(Vectors.encode(vector))).addString(probe.sessionId()).addString(probe.userId())
                .addOffsetDateTime(timestamp(createdAtMillis));
        return VertxFutures.uni(() -> writes.preparedQuery(UPSERT).execute(row)).map(rows -> rows.rowCount() > 0);
    }

    /** @param scope the caller's scope, or null for every scope (the history token) */
    public Uni<Integer> eraseUser(String userId, String scope) {
        return VertxFutures.uni(() -> writes.preparedQuery(ERASE_USER).execute(Tuple.of(userId, scope))).map(RowSet::rowCount);
    }

    public Uni<Integer> eraseSession(String sessionId, String scope) {
        return VertxFutures.uni(() -> writes.preparedQuery(ERASE_SESSION).execute(Tuple.of(sessionId, scope))).map(RowSet::rowCount);
    }

    public Uni<Long> count() {
        return VertxFutures.uni(() -> reads.query(COUNT).execute()).map(rows -> rows.iterator().next().getLong(0));
    }

    private static OffsetDateTime timestamp(long millis) {
        return OffsetDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
    }
}
