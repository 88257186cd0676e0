package io.strata.schema;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.quarkus.arc.Unremovable;
import io.quarkus.reactive.datasource.ReactiveDataSource;
import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgPool;
import io.vertx.pgclient.spi.PgDriver;

/**
 * Gives each of Strata's four Postgres pools its own name. Quarkus names a reactive pool only when
 * it is shared, so all four registered their {@code sql.pool.*} gauges under Vert.x's default
 * name and Micrometer warned at every start that a gauge was registered twice (and kept only the
 * first pool's). The pools are created as Quarkus would create them (same options, same
 * driver), named after their datasource, and run their queries on leased connections
 * ({@link LeasedQueryPool}: no stray timer failing a finished query after Postgres was away).
 */
@Singleton
public class PostgresPoolNames {

    /** The pool of the default datasource: migrations, admin, continuation, erasure. */
    @Produces
    @Singleton
    @Unremovable
    PgPoolCreator admin() {
        return named("strata-admin");
    }

    @Produces
    @Singleton
    @Unremovable
    @ReactiveDataSource("cache-writes")
    PgPoolCreator cacheWrites() {
        return named("strata-cache-writes");
    }

    @Produces
    @Singleton
    @Unremovable
    @ReactiveDataSource("history")
    PgPoolCreator history() {
        return named("strata-history");
    }

    @Produces
    @Singleton
    @Unremovable
    @ReactiveDataSource("reads")
    PgPoolCreator reads() {
        return named("strata-reads");
    }

    private static PgPoolCreator named(String name) {
        return input -> new LeasedQueryPool(
                (PgPool) PgDriver.INSTANCE.createPool(input.vertx(), input.pgConnectOptionsList(), input.poolOptions().setName(name)));
    }
}
