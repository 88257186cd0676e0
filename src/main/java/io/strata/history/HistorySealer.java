package io.strata.history;

import java.util.Map;

import jakarta.inject.Singleton;
import jakarta.enterprise.event.Observes;

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

    public HistorySealer(HistoryConfig config, Pool pool, SchemaMigrator schema) {
        this.sealer = config.encryption().enabled() && config.mode() != HistoryConfig.Mode.OFF
                ? new Sealer(config.encryption()) : null;
        this.pool = pool;
        this.schema = schema;
    }

    public Sealer get() {
        return sealer;
    }

    /** After the schema migration; start-up runs on the main thread, so it may wait for Postgres here. */
    void onStart(@Observes @jakarta.annotation.Priority(4000) StartupEvent event) {
        if (sealer == null) {
            return;
        }
        if (!schema.isApplied()) {
            LOG.warn("History keys not checked against stored canaries: Postgres is not available at start-up");
            return;
        }
        // Waiting is fine here: start-up observers run on the main thread, never on an event loop.
        Map<String, byte[]> canaries = new java.util.HashMap<>();
        pool.query("SELECT key_id, canary FROM strata_history_keys").execute().await().atMost(java.time.Duration.ofSeconds(10))
                .forEach(row -> canaries.put(row.getString("key_id"), row.getBuffer("canary").getBytes()));
        for (String keyId : sealer.keyIds()) {
            byte[] canary = canaries.get(keyId);
            if (canary == null) {
                pool.preparedQuery("INSERT INTO strata_history_keys (key_id, canary) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .execute(Tuple.of(keyId, io.vertx.core.buffer.Buffer.buffer(sealer.seal(keyId, Sealer.CANARY.getBytes()))))
                        .await().atMost(java.time.Duration.ofSeconds(10));
            } else {
                try {
                    sealer.open(keyId, canary);
                } catch (IllegalStateException wrongKey) {
                    throw new IllegalStateException("History encryption key '" + keyId
                            + "' is not the key its rows were sealed with: refusing to start", wrongKey);
                }
            }
        }
        LOG.infof("History encryption on: new rows sealed with key '%s' (%d keys configured)", sealer.activeKeyId(),
                sealer.keyIds().size());
    }
}
