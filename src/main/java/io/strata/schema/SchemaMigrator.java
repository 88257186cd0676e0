package io.strata.schema;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Applies the versioned SQL scripts under {@code db/} through the reactive pool, in order, each
 * once, recorded in {@code strata_schema_version}. Postgres being away at start-up must not stop
 * Strata (L2 is a cache: it degrades to a miss), so a failed migration is retried in the background.
 */
@ApplicationScoped
public class SchemaMigrator {

    private static final Logger LOG = Logger.getLogger(SchemaMigrator.class);

    /** The scripts, in the order they apply. Listed here rather than scanned so native needs no resource globbing. */
    static final List<String> SCRIPTS = List.of("V1__cache_entries.sql", "V2__cache_entry_usage.sql", "V3__cache_entry_events.sql",
            "V4__history.sql",
            "V5__history_bodies.sql", "V6__history_partial_indexes.sql", "V7__invalidation_indexes.sql", "V8__semantic_entries.sql",
            "V9__history_sessions.sql", "V10__history_content.sql");

    private static final long ADVISORY_LOCK = 0x5752415441L; // "STRATA": one instance migrates at a time
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(15);
    private static final Duration RETRY_EVERY = Duration.ofSeconds(5);

    private final Pool pool;
    private final Vertx vertx;
    private final AtomicBoolean applied = new AtomicBoolean();
    /** Run once the schema is applied, when that happens after start-up. */
    private final List<Runnable> whenApplied = new java.util.concurrent.CopyOnWriteArrayList<>();

    public SchemaMigrator(Pool pool, Vertx vertx) {
        this.pool = pool;
        this.vertx = vertx;
    }

    void onStart(@Observes StartupEvent event) {
        try {
            // Start-up runs on the main thread, not an event loop: waiting here keeps the first requests
            // from racing the schema when Postgres is up.
            migrate().await().atMost(STARTUP_WAIT);
        } catch (RuntimeException e) {
            LOG.warnf("Postgres schema not applied at start-up (%s); L2 and history stay unavailable until it is. Retrying every %ss",
                    e.getMessage(), RETRY_EVERY.toSeconds());
            scheduleRetry();
        }
    }

    /** True once every script has been applied. */
    public boolean isApplied() {
        return applied.get();
    }

    /** Runs {@code action} once the schema is applied: now if it is, else when a retry applies it (on an event loop). */
    public void whenApplied(Runnable action) {
        if (applied.get()) {
            action.run();
            return;
        }
        whenApplied.add(action);
        if (applied.get() && whenApplied.remove(action)) { // applied meanwhile
            action.run();
        }
    }

    private void scheduleRetry() {
        vertx.setTimer(RETRY_EVERY.toMillis(), id -> migrate().subscribe().with(
                ok -> {
                    LOG.info("Postgres schema applied");
                    for (Runnable action : whenApplied) {
                        if (whenApplied.remove(action)) {
                            action.run();
                        }
                    }
                },
                failure -> scheduleRetry()));
    }

    Uni<Void> migrate() {
        return pool.withTransaction(connection -> connection.query("SELECT pg_advisory_xact_lock(" + ADVISORY_LOCK + ")").execute()
                .chain(() -> connection.query("""
                        CREATE TABLE IF NOT EXISTS strata_schema_version (
                            version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())""").execute())
                .chain(() -> applyAll(connection, 0)))
                .invoke(() -> applied.set(true));
    }

    private Uni<Void> applyAll(SqlConnection connection, int index) {
        if (index == SCRIPTS.size()) {
            return Uni.createFrom().voidItem();
        }
        String script = SCRIPTS.get(index);
        return connection.preparedQuery("SELECT 1 FROM strata_schema_version WHERE version = $1").execute(Tuple.of(script))
                .chain(rows -> rows.size() > 0 ? Uni.createFrom().voidItem() : apply(connection, script))
                .chain(() -> applyAll(connection, index + 1));
    }

    private Uni<Void> apply(SqlConnection connection, String script) {
        List<String> statements = statements(read(script));
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (String statement : statements) {
            chain = chain.chain(() -> connection.query(statement).execute().replaceWithVoid());
        }
        return chain.chain(() -> connection.preparedQuery("INSERT INTO strata_schema_version (version) VALUES ($1)")
                .execute(Tuple.of(script)).replaceWithVoid())
                .invoke(() -> LOG.infof("Applied schema script %s", script));
    }

    /** Splits a script on the semicolons that end its lines; the scripts hold no procedural code with inner semicolons. */
    static List<String> statements(String script) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : script.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("--")) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                statements.add(current.toString().strip().replaceAll(";$", ""));
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            statements.add(current.toString().strip());
        }
        return statements;
    }

    private static String read(String script) {
        try (InputStream in = SchemaMigrator.class.getClassLoader().getResourceAsStream("db/" + script)) {
            if (in == null) {
                throw new IllegalStateException("Missing schema script db/" + script);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read schema script db/" + script, e);
        }
    }
}
