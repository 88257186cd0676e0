package io.strata.history;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * What the history's records leave in the two tables that depend on them: the sessions' spans
 * ({@code strata_history_sessions}) and the responses stored by reference
 * ({@code strata_history_content}). After records are erased, in the same transaction, a span is
 * shrunk to the records that remain (or removed with the last of them) and a content row no
 * remaining record references is removed; after retention dropped partitions, the spans that ended
 * before what it kept and the content nothing references any more are removed.
 * <p>
 * A writer may be inserting a record of the same session, or referencing the same content, at that
 * moment. Its batch statement locks each span and content row it touches (its upserts lock even a
 * row they leave alone), so the rows are locked here first and only then checked, in a statement
 * whose snapshot sees every batch that held them: a batch that comes later waits, then finds the
 * row as left here (re-inserting content or a span that was just removed).
 */
final class RecordDependents {

    /** The erased records' sessions: rows locked before they are refitted (same order as the writer's upserts). */
    private static final String LOCK_SPANS = """
            SELECT 1 FROM strata_history_sessions
            WHERE (scope, session_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
            ORDER BY scope, session_id FOR UPDATE""";

    /** Each span bounded again by its remaining records (found within the old span, so pruned), or removed. */
    private static final String REFIT_SPANS = """
            WITH spans AS (
                SELECT s.scope, s.session_id, r.first_ts, r.last_ts FROM strata_history_sessions s
                CROSS JOIN LATERAL (SELECT min(h.ts) AS first_ts, max(h.ts) AS last_ts FROM strata_history h
                    WHERE h.session_id = s.session_id AND h.scope = s.scope AND h.ts >= s.first_ts AND h.ts <= s.last_ts) r
                WHERE (s.scope, s.session_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
            ), emptied AS (
                DELETE FROM strata_history_sessions s USING spans p
                WHERE s.scope = p.scope AND s.session_id = p.session_id AND p.first_ts IS NULL
            )
            UPDATE strata_history_sessions s SET first_ts = p.first_ts, last_ts = p.last_ts FROM spans p
            WHERE s.scope = p.scope AND s.session_id = p.session_id AND p.first_ts IS NOT NULL
                AND (s.first_ts <> p.first_ts OR s.last_ts <> p.last_ts)""";

    private static final String UNREFERENCED = """
            NOT EXISTS (SELECT 1 FROM strata_history h WHERE h.response_digest = c.digest AND h.scope = c.scope)""";

    private static final String LOCK_CONTENT = "SELECT 1 FROM strata_history_content c"
            + " WHERE (scope, digest) IN (SELECT * FROM unnest($1::text[], $2::bytea[])) ORDER BY scope, digest FOR UPDATE";

    private static final String DELETE_UNREFERENCED = "DELETE FROM strata_history_content c"
            + " WHERE (scope, digest) IN (SELECT * FROM unnest($1::text[], $2::bytea[])) AND " + UNREFERENCED;

    /** The sweep: the next batch of content rows nothing references, locked, in key order after the cursor. */
    private static final String LOCK_ORPHANS = "SELECT scope, digest FROM strata_history_content c"
            + " WHERE (scope, digest) > ($1, $2) AND " + UNREFERENCED + " ORDER BY scope, digest LIMIT $3 FOR UPDATE";

    static final int SWEEP_BATCH = 1000;

    private RecordDependents() {
    }

    /**
     * In the erasing transaction, after the records were deleted ({@code gone}: their scope,
     * session_id and response_digest): spans refitted, content nothing references removed.
     */
    static Uni<Void> afterErasure(SqlConnection connection, RowSet<Row> gone) {
        Set<List<Object>> sessions = new LinkedHashSet<>();
        Set<List<Object>> contents = new LinkedHashSet<>();
        for (Row row : gone) {
            String scope = row.getString("scope");
            String session = row.getString("session_id");
            Buffer digest = row.getBuffer("response_digest");
            if (session != null) {
                sessions.add(List.of(scope, session));
            }
            if (digest != null) {
                contents.add(List.of(scope, digest));
            }
        }
        Uni<Void> chain = Uni.createFrom().voidItem();
        if (!sessions.isEmpty()) {
            Tuple pairs = pairs(sessions, false);
            chain = chain.chain(() -> connection.preparedQuery(LOCK_SPANS).execute(pairs))
                    .chain(() -> connection.preparedQuery(REFIT_SPANS).execute(pairs)).replaceWithVoid();
        }
        if (!contents.isEmpty()) {
            Tuple pairs = pairs(contents, true);
            chain = chain.chain(() -> connection.preparedQuery(LOCK_CONTENT).execute(pairs))
                    .chain(() -> connection.preparedQuery(DELETE_UNREFERENCED).execute(pairs)).replaceWithVoid();
        }
        return chain;
    }

    private static Tuple pairs(Set<List<Object>> pairs, boolean bytes) {
        String[] scopes = new String[pairs.size()];
        String[] sessions = new String[pairs.size()];
        io.vertx.core.buffer.Buffer[] digests = new io.vertx.core.buffer.Buffer[pairs.size()];
        int i = 0;
        for (List<Object> pair : pairs) {
            scopes[i] = (String) pair.get(0);
            if (bytes) {
                digests[i] = ((Buffer) pair.get(1)).getDelegate();
            } else {
                sessions[i] = (String) pair.get(1);
            }
            i++;
        }
        return bytes
                ? Tuple.tuple().addArrayOfString(scopes).addValue(digests)
                : Tuple.tuple().addArrayOfString(scopes).addArrayOfString(sessions);
    }

    /**
     * After retention removed every record older than {@code keptFrom}: the spans that ended before
     * it, then, in batches of their own transactions, the content rows no record references.
     * Answers how many content rows went.
     */
    static Uni<Long> afterRetention(Pool pool, OffsetDateTime keptFrom) {
        return pool.preparedQuery("DELETE FROM strata_history_sessions WHERE last_ts < $1").execute(Tuple.of(keptFrom))
                .chain(() -> sweep(pool, "", io.vertx.core.buffer.Buffer.buffer(), 0));
    }

    private static Uni<Long> sweep(Pool pool, String afterScope, io.vertx.core.buffer.Buffer afterDigest, long removed) {
        return pool.withTransaction(connection -> connection.preparedQuery(LOCK_ORPHANS)
                .execute(Tuple.tuple().addString(afterScope).addValue(afterDigest).addInteger(SWEEP_BATCH))
                .chain(locked -> {
                    if (locked.size() == 0) {
                        return Uni.createFrom().item(new Swept(0, null, null));
                    }
                    List<String> scopes = new ArrayList<>(locked.size());
                    List<io.vertx.core.buffer.Buffer> digests = new ArrayList<>(locked.size());
                    locked.forEach(row -> {
                        scopes.add(row.getString("scope"));
                        digests.add(row.getBuffer("digest").getDelegate());
                    });
                    return connection.preparedQuery(DELETE_UNREFERENCED)
                            .execute(Tuple.tuple().addArrayOfString(scopes.toArray(String[]::new))
                                    .addValue(digests.toArray(io.vertx.core.buffer.Buffer[]::new)))
                            .map(deleted -> new Swept(deleted.rowCount(), scopes.get(scopes.size() - 1),
                                    digests.get(digests.size() - 1)));
                }))
                .chain(swept -> swept.lastScope() == null
                        ? Uni.createFrom().item(removed + swept.removed())
                        : sweep(pool, swept.lastScope(), swept.lastDigest(), removed + swept.removed()));
    }

    private record Swept(int removed, String lastScope, io.vertx.core.buffer.Buffer lastDigest) {
    }
}
