package io.strata.cache;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.strata.config.CacheConfig;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * L2: entries in the {@code strata_cache_entries} table. Rows outlive their freshness by the
 * stale grace period so an expired answer can still be served STALE when the provider fails.
 */
@ApplicationScoped
public class PostgresLayer {

    private static final String SELECT = """
            SELECT scope, namespace, endpoint, model_version, created_at, expires_at, stale_until, prompt_tokens, completion_tokens, body, events
            FROM strata_cache_entries WHERE cache_key = $1 AND stale_until > $2""";

    private static final String UPSERT = """
            INSERT INTO strata_cache_entries
                (cache_key, scope, namespace, endpoint, model_version, created_at, expires_at, stale_until, size_bytes,
                 prompt_tokens, completion_tokens, body, events)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (cache_key) DO UPDATE SET
                scope = EXCLUDED.scope, namespace = EXCLUDED.namespace, endpoint = EXCLUDED.endpoint,
                model_version = EXCLUDED.model_version, created_at = EXCLUDED.created_at,
                expires_at = EXCLUDED.expires_at, stale_until = EXCLUDED.stale_until,
                size_bytes = EXCLUDED.size_bytes, prompt_tokens = EXCLUDED.prompt_tokens,
                completion_tokens = EXCLUDED.completion_tokens, body = EXCLUDED.body, events = EXCLUDED.events""";

    private static final String DELETE = "DELETE FROM strata_cache_entries WHERE cache_key = $1";

    private static final String STATS = "SELECT count(*) AS entries, coalesce(sum(size_bytes), 0) AS bytes FROM strata_cache_entries";

    private static final String INVALIDATE = """
            DELETE FROM strata_cache_entries
            WHERE ($1::text IS NULL OR namespace = $1)
              AND ($2::text IS NULL OR model_version = $2)
              AND ($3::timestamptz IS NULL OR created_at < $3)
            RETURNING cache_key""";

    private static final String DELETE_PAST_GRACE = "DELETE FROM strata_cache_entries WHERE stale_until <= $1";

    private final Pool pool;
    private final long maxEntryBytes;

    public PostgresLayer(Pool pool, CacheConfig config) {
        this.pool = pool;
        this.maxEntryBytes = config.l2().maxEntrySize().asLongValue();
    }

    /** The entry if it is fresh or still inside its stale grace, else null. */
    public Uni<CacheEntry> get(String hexKey, long nowMillis) {
        return pool.preparedQuery(SELECT).execute(Tuple.of(hexKey, timestamp(nowMillis)))
                .map(rows -> rows.size() == 0 ? null : toEntry(hexKey, rows.iterator().next()));
    }

    /** Inserts or replaces the entry; false when it is larger than L2 accepts. */
    public Uni<Boolean> put(CacheEntry entry) {
        if (entry.body().length + (entry.events() == null ? 0 : entry.events().length) > maxEntryBytes) {
            return Uni.createFrom().item(false);
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
                .addBuffer(io.vertx.mutiny.core.buffer.Buffer.buffer(entry.body()))
                .addValue(entry.events() == null ? null : io.vertx.core.buffer.Buffer.buffer(entry.events()));
        return pool.preparedQuery(UPSERT).execute(row).replaceWith(true);
    }

    public Uni<Boolean> delete(String hexKey) {
        return pool.preparedQuery(DELETE).execute(Tuple.of(hexKey)).map(rows -> rows.rowCount() > 0);
    }

    public Uni<LayerStats> stats() {
        return pool.query(STATS).execute().map(rows -> {
            Row row = rows.iterator().next();
            return new LayerStats(Layer.L2.tag(), true, row.getLong("entries"), row.getLong("bytes"), false);
        });
    }

    /** Deletes every row matching the criteria; answers their keys. */
    public Uni<java.util.List<String>> invalidate(InvalidationCriteria criteria) {
        Tuple args = Tuple.tuple()
                .addString(criteria.namespace())
                .addString(criteria.modelVersion())
                .addOffsetDateTime(criteria.createdBefore() == null ? null : OffsetDateTime.ofInstant(criteria.createdBefore(), ZoneOffset.UTC));
        return pool.preparedQuery(INVALIDATE).execute(args).map(rows -> {
            java.util.List<String> keys = new java.util.ArrayList<>(rows.rowCount());
            rows.forEach(row -> keys.add(row.getString(0)));
            return keys;
        });
    }

    /** Deletes rows past their stale grace; answers how many. */
    public Uni<Integer> deletePastGrace(long nowMillis) {
        return pool.preparedQuery(DELETE_PAST_GRACE).execute(Tuple.of(timestamp(nowMillis))).map(RowSet::rowCount);
    }

    private static CacheEntry toEntry(String hexKey, Row row) {
        return new CacheEntry(
                new CacheKey(hexKey, row.getString("scope"), row.getString("namespace"), row.getString("endpoint")),
                row.getBuffer("body").getBytes(),
                millis(row.getOffsetDateTime("created_at")),
                millis(row.getOffsetDateTime("expires_at")),
                millis(row.getOffsetDateTime("stale_until")),
                row.getString("model_version"),
                row.getInteger("prompt_tokens"),
                row.getInteger("completion_tokens"),
                row.getBuffer("events") == null ? null : row.getBuffer("events").getBytes());
    }

    static OffsetDateTime timestamp(long millis) {
        return OffsetDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
    }

    private static long millis(OffsetDateTime time) {
        return time.toInstant().toEpochMilli();
    }
}
