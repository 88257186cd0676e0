package io.strata.cache;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Singleton;

import io.quarkus.reactive.datasource.ReactiveDataSource;
import io.smallrye.mutiny.Uni;
import io.strata.config.CacheConfig;
import io.strata.core.VertxFutures;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

/**
 * L2: entries in the {@code strata_cache_entries} table. Rows outlive their freshness by the
 * stale grace period so an expired answer can still be served STALE when the provider fails.
 * Lookups are pipelined on one connection per event loop taken from the lookup pool; writes go
 * through their own pool with asynchronous commit (a cache row lost in a crash is recomputed), so
 * a burst of write-backs never delays a lookup.
 */
@Singleton
public class PostgresLayer {

    private static final String SELECT = """
            SELECT scope, namespace, endpoint, model_version, created_at, expires_at, stale_until, prompt_tokens, completion_tokens, body, events
            FROM strata_cache_entries WHERE cache_key = $1 AND stale_until > $2""";

    /** The unused set_config makes this one statement's commit asynchronous (is_local: it ends with the statement). */
    private static final String UPSERT = """
            INSERT INTO strata_cache_entries
                (cache_key, scope, namespace, endpoint, model_version, created_at, expires_at, stale_until, size_bytes,
                 prompt_tokens, completion_tokens, body, events)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
            FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
            ON CONFLICT (cache_key) DO UPDATE SET
                scope = EXCLUDED.scope, namespace = EXCLUDED.namespace, endpoint = EXCLUDED.endpoint,
                model_version = EXCLUDED.model_version, created_at = EXCLUDED.created_at,
                expires_at = EXCLUDED.expires_at, stale_until = EXCLUDED.stale_until,
                size_bytes = EXCLUDED.size_bytes, prompt_tokens = EXCLUDED.prompt_tokens,
                completion_tokens = EXCLUDED.completion_tokens, body = EXCLUDED.body, events = EXCLUDED.events""";

    private static final String DELETE = "DELETE FROM strata_cache_entries WHERE cache_key = $1";

    private static final String STATS = "SELECT count(*) AS entries, coalesce(sum(size_bytes), 0) AS bytes FROM strata_cache_entries";

    /** Rows removed by one invalidation statement: bounded, so no statement holds locks or a connection for long. */
    static final int INVALIDATION_BATCH = 1_000;

    private static final String DELETE_PAST_GRACE = "DELETE FROM strata_cache_entries WHERE stale_until <= $1";

    private final io.vertx.sqlclient.Pool lookups;
    private final io.vertx.sqlclient.Pool writes;
    private final io.vertx.sqlclient.Pool admin;
    private final EventLoopConnections<SqlConnection> lookupConnections;
    private final long maxEntryBytes;

    public PostgresLayer(@ReactiveDataSource("reads") Pool lookups, @ReactiveDataSource("cache-writes") Pool writes, Pool admin,
            CacheConfig config) {
        this.lookups = lookups.getDelegate();
        this.writes = writes.getDelegate();
        this.admin = admin.getDelegate();
        this.lookupConnections = new EventLoopConnections<>(this.lookups::getConnection, (connection, broken) -> {
            connection.closeHandler(closed -> broken.run());
            connection.exceptionHandler(failure -> broken.run());
        });
        this.maxEntryBytes = config.l2().maxEntrySize().asLongValue();
    }

    /** The entry if it is fresh or still inside its stale grace, else null. */
    public Future<CacheEntry> get(String hexKey, long nowMillis) {
        Tuple args = Tuple.of(hexKey, timestamp(nowMillis));
        Future<SqlConnection> connection = lookupConnections.current();
        Future<RowSet<Row>> rows = connection == null
                ? lookups.preparedQuery(SELECT).execute(args)
                : connection.compose(open -> open.preparedQuery(SELECT).execute(args));
        return rows.map(found -> found.size() == 0 ? null : toEntry(hexKey, found.iterator().next()));
    }

    /** Inserts or replaces the entry; false when it is larger than L2 accepts. */
    public Future<Boolean> put(CacheEntry entry) {
        if (entry.sizeBytes() > maxEntryBytes) {
            return Future.succeededFuture(false);
        }
        CacheKey key = entry.key();
        Tuple row = Tuple.tuple()
                .addString(key.hex()).addString(key.scope()).addString(key.namespace()).addString(key.endpoint())
                .addString(entry.modelVersion())
                .addOffsetDateTime(timestamp(entry.createdAtMillis()))
                .addOffsetDateTime(timestamp(entry.expiresAtMillis()))
                .addOffsetDateTime(timestamp(entry.staleUntilMillis()))
                .addInteger(entry.body().length)
                .addInteger(entry.promptTokens())
                .addInteger(entry.completionTokens())
                .addBuffer(Buffer.buffer(entry.body()))
                .addValue(entry.events() == null ? null : Buffer.buffer(entry.events()));
        return writes.preparedQuery(UPSERT).execute(row).map(true);
    }

    public Future<Boolean> delete(String hexKey) {
        return writes.preparedQuery(DELETE).execute(Tuple.of(hexKey)).map(rows -> rows.rowCount() > 0);
    }

    public Uni<LayerStats> stats() {
        return VertxFutures.uni(() -> admin.query(STATS).execute()).map(rows -> {
            Row row = rows.iterator().next();
            return new LayerStats(Layer.L2.tag(), true, row.getLong("entries"), row.getLong("bytes"), false);
        });
    }

    /**
     * Deletes up to {@link #INVALIDATION_BATCH} rows matching the criteria; answers their keys
     * (fewer than a batch: none are left). Through the maintenance pool, so write-backs and
     * lookups never wait behind it. The statement names only the given criteria, so each can use
     * its index (a generic plan of "$1 IS NULL OR namespace = $1" scans the table).
     */
    public Uni<List<String>> invalidateBatch(InvalidationCriteria criteria) {
        List<String> conditions = new ArrayList<>();
        Tuple args = Tuple.tuple();
        if (criteria.namespace() != null) {
            args.addString(criteria.namespace());
            conditions.add("namespace = $" + args.size());
        }
        if (criteria.modelVersion() != null) {
            args.addString(criteria.modelVersion());
            conditions.add("model_version = $" + args.size());
        }
        if (criteria.createdBefore() != null) {
            args.addOffsetDateTime(OffsetDateTime.ofInstant(criteria.createdBefore(), ZoneOffset.UTC));
            conditions.add("created_at < $" + args.size());
        }
        String sql = "DELETE FROM strata_cache_entries WHERE cache_key IN (SELECT cache_key FROM strata_cache_entries WHERE "
                + String.join(" AND ", conditions) + " LIMIT " + INVALIDATION_BATCH + ") RETURNING cache_key";
        return VertxFutures.uni(() -> admin.preparedQuery(sql).execute(args)).map(rows -> {
            List<String> keys = new ArrayList<>(rows.rowCount());
            rows.forEach(row -> keys.add(row.getString(0)));
            return keys;
        });
    }

    /** Deletes rows past their stale grace; answers how many. */
    public Uni<Integer> deletePastGrace(long nowMillis) {
        return VertxFutures.uni(() -> writes.preparedQuery(DELETE_PAST_GRACE).execute(Tuple.of(timestamp(nowMillis))))
                .map(RowSet::rowCount);
    }

    private static CacheEntry toEntry(String hexKey, Row row) {
        Buffer events = row.getBuffer("events");
        return new CacheEntry(
                new CacheKey(hexKey, row.getString("scope"), row.getString("namespace"), row.getString("endpoint")),
                row.getBuffer("body").getBytes(),
                millis(row.getOffsetDateTime("created_at")),
                millis(row.getOffsetDateTime("expires_at")),
                millis(row.getOffsetDateTime("stale_until")),
                row.getString("model_version"),
                row.getInteger("prompt_tokens"),
                row.getInteger("completion_tokens"),
                events == null ? null : events.getBytes());
    }

    static OffsetDateTime timestamp(long millis) {
        return OffsetDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
    }

    private static long millis(OffsetDateTime time) {
        return time.toInstant().toEpochMilli();
    }
}
