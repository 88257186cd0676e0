package io.strata.history;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.strata.config.HistoryConfig;
import io.strata.schema.SchemaMigrator;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Keeps the history table's monthly partitions: creates the previous, the current month's and the next ones
 * ahead of time, and enforces retention by dropping whole partitions older than it (a cheap,
 * instant delete that leaves no bloat), on start and then on a timer.
 */
@Singleton
public class PartitionManager {

    private static final Logger LOG = Logger.getLogger(PartitionManager.class);
    private static final DateTimeFormatter SUFFIX = DateTimeFormatter.ofPattern("yyyyMM");

    private final Pool pool;
    private final Vertx vertx;
    private final HistoryConfig config;
    private final SchemaMigrator schema;
    private long timerId = -1;

    public PartitionManager(Pool pool, Vertx vertx, HistoryConfig config, SchemaMigrator schema) {
        this.pool = pool;
        this.vertx = vertx;
        this.config = config;
        this.schema = schema;
    }

    /** After the schema migration (which observes the same event at the default priority). */
    void onStart(@Observes @Priority(5000) StartupEvent event) {
        if (config.mode() == HistoryConfig.Mode.OFF) {
            return;
        }
        maintain().subscribe().with(ok -> {
        }, failure -> LOG.warnf("History partitions not maintained yet: %s", failure.getMessage()));
        timerId = vertx.setPeriodic(config.partitions().maintenanceInterval().toMillis(), id -> maintain().subscribe().with(
                ok -> {
                }, failure -> LOG.warnf("History partition maintenance failed: %s", failure.getMessage())));
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
    }

    /** Creates partitions ahead, then drops the ones past retention. */
    public Uni<Void> maintain() {
        if (!schema.isApplied()) {
            return Uni.createFrom().failure(new IllegalStateException("schema not applied yet"));
        }
        LocalDate month = LocalDate.now(ZoneOffset.UTC).withDayOfMonth(1);
        Uni<Void> chain = Uni.createFrom().voidItem();
        // the month before too: records queued at the end of a month may be written after it ended,
        // on a deployment that started in the new one
        for (int i = -1; i <= config.partitions().monthsAhead(); i++) {
            LocalDate start = month.plusMonths(i);
            chain = chain.chain(() -> create(start));
        }
        return chain.chain(this::enforceRetention);
    }

    private Uni<Void> create(LocalDate start) {
        String sql = "CREATE TABLE IF NOT EXISTS strata_history_p" + start.format(SUFFIX) + " PARTITION OF strata_history"
                + " FOR VALUES FROM ('" + start + " 00:00:00+00') TO ('" + start.plusMonths(1) + " 00:00:00+00')";
        return pool.query(sql).execute().replaceWithVoid()
                .onFailure().invoke(failure -> LOG.warnf("Cannot create history partition for %s: %s", start, failure.getMessage()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    private Uni<Void> enforceRetention() {
        if (config.retentionDays() <= 0) {
            return Uni.createFrom().voidItem();
        }
        OffsetDateTime cutoff = OffsetDateTime.now(ZoneOffset.UTC).minusDays(config.retentionDays());
        return pool.query("""
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'strata_history'::regclass AND c.relname LIKE 'strata_history_p%'""").execute()
                .chain(rows -> {
                    List<String> expired = new ArrayList<>();
                    rows.forEach(row -> {
                        String name = row.getString(0);
                        LocalDate start = LocalDate.parse(name.substring("strata_history_p".length()) + "01",
                                DateTimeFormatter.ofPattern("yyyyMMdd"));
                        if (!start.plusMonths(1).atStartOfDay().atOffset(ZoneOffset.UTC).isAfter(cutoff)) {
                            expired.add(name);
                        }
                    });
                    Uni<Void> drops = Uni.createFrom().voidItem();
                    for (String name : expired) {
                        drops = drops.chain(() -> pool.query("DROP TABLE IF EXISTS " + name).execute()
                                .invoke(() -> LOG.infof("Dropped history partition %s (retention %d days)", name, config.retentionDays()))
                                .replaceWithVoid());
                    }
                    return drops.replaceWith(!expired.isEmpty());
                })
                .chain(dropped -> pool.preparedQuery("DELETE FROM strata_history_default WHERE ts < $1").execute(Tuple.of(cutoff))
                        .map(deleted -> dropped || deleted.rowCount() > 0))
                // every record before the cutoff's month is gone now: so are the spans that ended before it, and the
                // content only those records referenced
                .chain(removed -> !removed
                        ? Uni.createFrom().voidItem()
                        : RecordDependents.afterRetention(pool, cutoff.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS))
                                .invoke(swept -> LOG.infof("History retention: %d stored responses no record references removed",
                                        swept))
                                .replaceWithVoid())
                .replaceWithVoid();
    }
}
