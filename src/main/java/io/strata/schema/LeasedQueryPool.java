package io.strata.schema;

import java.util.List;
import java.util.function.Function;
import java.util.stream.Collector;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PrepareOptions;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.Query;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.Tuple;

/**
 * A pool whose queries run on a leased connection ({@link Pool#withConnection}) instead of the
 * pool's own one-shot path. That path (vertx-sql-client 4.5, {@code SqlConnectionPool.execute})
 * arms a timer of the pool's connection timeout per query and cancels it only when a connection is
 * obtained: when Postgres is away, each query fails at once, then its timer fires 30 s later on the
 * failed promise and Vert.x logs {@code IllegalStateException: Result is already complete}
 * (eclipse-vertx/vertx-sql-client#1706). A lease's acquisition cancels its timer either way. The
 * query, its timeout and its failures are otherwise the same.
 */
final class LeasedQueryPool implements PgPool {

    private final PgPool pool;

    LeasedQueryPool(PgPool pool) {
        this.pool = pool;
    }

    @Override
    public Query<RowSet<Row>> query(String sql) {
        return new LeasedQuery<>(pool, connection -> connection.query(sql));
    }

    @Override
    public PreparedQuery<RowSet<Row>> preparedQuery(String sql) {
        return new LeasedPreparedQuery<>(pool, connection -> connection.preparedQuery(sql));
    }

    @Override
    public PreparedQuery<RowSet<Row>> preparedQuery(String sql, PrepareOptions options) {
        return new LeasedPreparedQuery<>(pool, connection -> connection.preparedQuery(sql, options));
    }

    @Override
    public void getConnection(Handler<AsyncResult<SqlConnection>> handler) {
        pool.getConnection(handler);
    }

    @Override
    public Future<SqlConnection> getConnection() {
        return pool.getConnection();
    }

    @Override
    public PgPool connectHandler(Handler<SqlConnection> handler) {
        pool.connectHandler(handler);
        return this;
    }

    @Override
    public PgPool connectionProvider(Function<Context, Future<SqlConnection>> provider) {
        pool.connectionProvider(provider);
        return this;
    }

    @Override
    public int size() {
        return pool.size();
    }

    @Override
    public void close(Handler<AsyncResult<Void>> handler) {
        pool.close(handler);
    }

    @Override
    public Future<Void> close() {
        return pool.close();
    }

    /** A query built anew on each lease's connection. */
    private static class LeasedQuery<T, Q extends Query<T>> implements Query<T> {

        final Pool pool;
        final Function<SqlConnection, Q> query;

        LeasedQuery(Pool pool, Function<SqlConnection, Q> query) {
            this.pool = pool;
            this.query = query;
        }

        @Override
        public final void execute(Handler<AsyncResult<T>> handler) {
            execute().onComplete(handler);
        }

        @Override
        public final Future<T> execute() {
            return pool.withConnection(connection -> query.apply(connection).execute());
        }

        @Override
        public <R> Query<SqlResult<R>> collecting(Collector<Row, ?, R> collector) {
            return new LeasedQuery<>(pool, connection -> query.apply(connection).collecting(collector));
        }

        @Override
        public <U> Query<RowSet<U>> mapping(Function<Row, U> mapper) {
            return new LeasedQuery<>(pool, connection -> query.apply(connection).mapping(mapper));
        }
    }

    /** A prepared query built anew on each lease's connection (prepared once per connection when statements are cached). */
    private static final class LeasedPreparedQuery<T> extends LeasedQuery<T, PreparedQuery<T>> implements PreparedQuery<T> {

        LeasedPreparedQuery(Pool pool, Function<SqlConnection, PreparedQuery<T>> query) {
            super(pool, query);
        }

        @Override
        public void execute(Tuple tuple, Handler<AsyncResult<T>> handler) {
            execute(tuple).onComplete(handler);
        }

        @Override
        public Future<T> execute(Tuple tuple) {
            return pool.withConnection(connection -> query.apply(connection).execute(tuple));
        }

        @Override
        public void executeBatch(List<Tuple> batch, Handler<AsyncResult<T>> handler) {
            executeBatch(batch).onComplete(handler);
        }

        @Override
        public Future<T> executeBatch(List<Tuple> batch) {
            return pool.withConnection(connection -> query.apply(connection).executeBatch(batch));
        }

        @Override
        public <R> PreparedQuery<SqlResult<R>> collecting(Collector<Row, ?, R> collector) {
            return new LeasedPreparedQuery<>(pool, connection -> query.apply(connection).collecting(collector));
        }

        @Override
        public <U> PreparedQuery<RowSet<U>> mapping(Function<Row, U> mapper) {
            return new LeasedPreparedQuery<>(pool, connection -> query.apply(connection).mapping(mapper));
        }
    }
}
