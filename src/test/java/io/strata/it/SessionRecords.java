package io.strata.it;

import java.net.URI;
import java.util.Map;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

/** How many history records a session has in the Postgres a packaged instance was given (its config). */
final class SessionRecords {

    private SessionRecords() {
    }

    static long count(Map<String, String> config, String session) throws Exception {
        Vertx vertx = Vertx.vertx();
        URI url = URI.create(config.get("quarkus.datasource.reactive.url"));
        Pool pool = PgBuilder.pool().connectingTo(new PgConnectOptions().setHost(url.getHost()).setPort(url.getPort())
                .setDatabase(url.getPath().substring(1)).setUser("postgres")).using(vertx).build();
        try {
            return pool.preparedQuery("SELECT count(*) FROM strata_history WHERE session_id = $1").execute(Tuple.of(session))
                    .toCompletionStage().toCompletableFuture().get().iterator().next().getLong(0);
        } finally {
            pool.close();
            vertx.close();
        }
    }
}
