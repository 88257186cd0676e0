package io.strata.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgPool;
import io.vertx.pgclient.spi.PgDriver;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;

/**
 * Queries on a pool whose Postgres is away fail at once and leave nothing behind: no timer that
 * fails them a second time when the pool's connection timeout passes (Vert.x reports that as an
 * unhandled {@code IllegalStateException: Result is already complete}).
 */
class LeasedQueryPoolTest {

    private static final long CONNECTION_TIMEOUT_MILLIS = 300;

    private Vertx vertx;
    private final List<Throwable> unhandled = new CopyOnWriteArrayList<>();
    private int closedPort;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        vertx.exceptionHandler(unhandled::add);
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort(); // nothing listens there once it is closed: connections are refused
        }
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void queriesOnAPoolWithoutPostgresFailOnceAndLeaveNoTimer() throws Exception {
        PgPool pool = new LeasedQueryPool(pool());
        List<Future<?>> queries = List.of(pool.query("SELECT 1").execute(), pool.preparedQuery("SELECT $1::int").execute(Tuple.of(1)),
                pool.preparedQuery("SELECT $1::int").executeBatch(List.of(Tuple.of(1), Tuple.of(2))),
                pool.query("SELECT 1").mapping(row -> row.getInteger(0)).execute());
        for (Future<?> query : queries) {
            Throwable failure = failure(query);
            assertTrue(failure.getMessage() == null || !failure.getMessage().contains("Timeout"),
                    "failed at once with the connection's cause, not the pool's timeout: " + failure);
        }
        Thread.sleep(CONNECTION_TIMEOUT_MILLIS * 4);
        assertEquals(List.of(), unhandled, "nothing fails a query a second time once the connection timeout has passed");
    }

    /** The defect this pool exists for, shown on the pool Vert.x builds: if it ever goes, so can the wrapper. */
    @Test
    void thePoolsOwnOneShotQueriesFailTwice() throws Exception {
        PgPool pool = pool();
        failure(pool.query("SELECT 1").execute());
        Thread.sleep(CONNECTION_TIMEOUT_MILLIS * 4);
        assertFalse(unhandled.isEmpty(), "vertx-sql-client#1706 is fixed in this version: LeasedQueryPool can go");
        assertTrue(unhandled.get(0) instanceof IllegalStateException, String.valueOf(unhandled.get(0)));
    }

    private PgPool pool() {
        PgConnectOptions connect = new PgConnectOptions().setHost("127.0.0.1").setPort(closedPort).setDatabase("strata")
                .setUser("strata");
        PoolOptions options = new PoolOptions().setMaxSize(2).setConnectionTimeout((int) CONNECTION_TIMEOUT_MILLIS)
                .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
        return (PgPool) PgDriver.INSTANCE.createPool(vertx, List.of(connect), options);
    }

    private static Throwable failure(Future<?> query) throws Exception {
        try {
            query.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException failed) {
            return failed.getCause();
        }
        throw new AssertionError("a query succeeded without Postgres");
    }
}
