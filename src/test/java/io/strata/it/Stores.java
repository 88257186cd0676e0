package io.strata.it;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

/**
 * The tests' own connections to the Redis and Postgres the packaged application uses: no beans can
 * be injected into an integration test, so what a @QuarkusTest reads through CDI is read here.
 * Redis is reached directly (not through the fault proxy), Postgres through the URL the app got.
 */
final class Stores implements AutoCloseable {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final Vertx vertx = Vertx.vertx();
    private final Redis redis;
    private final Pool postgres;

    Stores() {
        redis = Redis.createClient(vertx, System.getProperty("strata.test.redis-url"));
        URI url = URI.create(System.getProperty("quarkus.datasource.reactive.url"));
        postgres = PgBuilder.pool().connectingTo(new PgConnectOptions().setHost(url.getHost()).setPort(url.getPort())
                .setDatabase(url.getPath().substring(1)).setUser(System.getProperty("quarkus.datasource.username", "postgres")))
                .using(vertx).build();
    }

    boolean inL1(String cacheKey) {
        return await(redis.send(Request.cmd(Command.EXISTS).arg("strata:v1:" + cacheKey))).toInteger() == 1;
    }

    void deleteFromL1(String cacheKey) {
        await(redis.send(Request.cmd(Command.DEL).arg("strata:v1:" + cacheKey)));
    }

    RowSet<Row> query(String sql, Object... arguments) {
        return await(postgres.preparedQuery(sql).execute(Tuple.from(arguments)));
    }

    long count(String sql, Object... arguments) {
        return query(sql, arguments).iterator().next().getLong(0);
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        await(postgres.close());
        await(vertx.close());
    }
}
