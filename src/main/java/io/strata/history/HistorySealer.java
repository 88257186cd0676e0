package io.strata.history;

import java.util.Map;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.strata.config.HistoryConfig;
import io.strata.schema.SchemaMigrator;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The history's {@link Sealer} when encryption is on (null otherwise), checked at start-up: a
 * missing or malformed key fails the start, and so does a key whose bytes do not open the canary
 * sealed under its id the first time it was used; never silent plaintext, never unreadable rows.
 */
@Singleton
public class HistorySealer {

    private static final Logger LOG = Logger.getLogger(HistorySealer.class);

    private final Sealer sealer;
    private final Pool pool;
    private final SchemaMigrator schema;
    private final HistoryWriter writer;

    /** With encryption on, the writer holds every record until the keys are confirmed (a record cannot exist before this bean). */
    public HistorySealer(HistoryConfig config, Pool pool, SchemaMigrator schema, HistoryWriter writer) {
        this.sealer = config.encryption().enabled() && config.mode() != HistoryConfig.Mode.OFF
                ? new Sealer(config.encryption())
                : null;
        this.pool = pool;
        this.schema = schema;
        this.writer = writer;
        if (sealer != null) {
            writer.hold();
        }
    }

    public Sealer get() {
        return sealer;
    }

    /**
     * After the schema migration; start-up runs on the main thread, so it may wait for Postgres here.
     * Postgres away at start: the check runs as soon as the schema is applied, and a key found wrong
     * then stops the process as the start would have (rows sealed under a wrong key would be
     * unreadable with the right one). Until the keys are confirmed the writer holds the records
     * (sealed under keys not yet confirmed): none is written under a wrong key.
     */
    void onStart(@Observes @jakarta.annotation.Priority(4000) StartupEvent event) {
        if (sealer == null) {
            return;
        }
        if (!schema.isApplied()) {
            LOG.warn("History keys not yet checked against stored canaries: Postgres is not available at start-up; "
                    + "they are checked as soon as it is");
            schema.whenApplied(this::checkLater);
            return;
        }
        // Waiting is fine here: start-up observers run on the main thread, never on an event loop.
        checkCanaries().await().atMost(java.time.Duration.ofSeconds(20));
        writer.release();
        LOG.infof("History encryption on: new rows sealed with key '%s' (%d keys configured)", sealer.activeKeyId(),
                sealer.keyIds().size());
    }

    /** The check deferred at start: a wrong key stops the process, a failed check (Postgres away again) is retried. */
    private void checkLater() {
        checkCanaries().subscribe().with(checked -> {
            LOG.info("History keys checked against stored canaries");
            writer.release();
        }, failure -> {
            if (failure instanceof WrongKey wrong) {
                LOG.error(wrong.getMessage() + ": stopping (the records held meanwhile are not written)");
                wrongKeyFound = true;
                io.quarkus.runtime.Quarkus.asyncExit(1);
            } else {
                LOG.warnf("History keys not checked against stored canaries (%s): retrying in %d s; records wait meanwhile",
                        failure.getMessage(), RECHECK_EVERY.toSeconds());
                io.smallrye.mutiny.Uni.createFrom().voidItem().onItem().delayIt().by(RECHECK_EVERY)
                        .subscribe().with(again -> checkLater());
            }
        });
    }

    private static final java.time.Duration RECHECK_EVERY = java.time.Duration.ofSeconds(5);

    /** Set when a later check found a key wrong (the process is stopping). */
    private volatile boolean wrongKeyFound;

    boolean wrongKeyFound() {
        return wrongKeyFound;
    }

    /** Opens each configured key's stored canary, and stores one for a key used the first time. */
    io.smallrye.mutiny.Uni<Void> checkCanaries() {
        return pool.query("SELECT key_id, canary FROM strata_history_keys").execute().chain(rows -> {
            Map<String, byte[]> canaries = new java.util.HashMap<>();
            rows.forEach(row -> canaries.put(row.getString("key_id"), row.getBuffer("canary").getBytes()));
            io.smallrye.mutiny.Uni<Void> chain = io.smallrye.mutiny.Uni.createFrom().voidItem();
            for (String keyId : sealer.keyIds()) {
                byte[] canary = canaries.get(keyId);
                if (canary == null) {
                    chain = chain.chain(() -> pool.preparedQuery(
                            "INSERT INTO strata_history_keys (key_id, canary) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                            .execute(Tuple.of(keyId, io.vertx.core.buffer.Buffer.buffer(sealer.seal(keyId, Sealer.CANARY.getBytes()))))
                            .replaceWithVoid());
                } else {
                    try {
                        sealer.open(keyId, canary);
                    } catch (IllegalStateException wrongKey) {
                        return io.smallrye.mutiny.Uni.createFrom().failure(new WrongKey(keyId, wrongKey));
                    }
                }
            }
            return chain;
        });
    }

    /** A configured key whose bytes do not open the canary sealed under its id. */
    static final class WrongKey extends IllegalStateException {
        WrongKey(String keyId, Throwable cause) {
            super("History encryption key '" + keyId + "' is not the key its rows were sealed with: refusing to start", cause);
        }
    }
}
