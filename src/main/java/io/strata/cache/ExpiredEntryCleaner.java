package io.strata.cache;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.config.CacheConfig;
import io.vertx.mutiny.core.Vertx;

/** Deletes L2 rows past their stale grace on a timer, so the table does not grow without bound. */
@Singleton
public class ExpiredEntryCleaner {

    private static final Logger LOG = Logger.getLogger(ExpiredEntryCleaner.class);

    private final PostgresLayer l2;
    private final Vertx vertx;
    private final CacheConfig config;
    private long timerId = -1;

    public ExpiredEntryCleaner(PostgresLayer l2, Vertx vertx, CacheConfig config) {
        this.l2 = l2;
        this.vertx = vertx;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        if (config.l2().enabled()) {
            timerId = vertx.setPeriodic(config.l2().cleanupInterval().toMillis(), id -> clean());
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
    }

    private void clean() {
        l2.deletePastGrace(System.currentTimeMillis()).subscribe().with(
                deleted -> {
                    if (deleted > 0) {
                        LOG.debugf("Deleted %d cache rows past their stale grace", deleted);
                    }
                },
                failure -> LOG.debugf("Cache cleanup skipped: %s", failure.toString()));
    }
}
