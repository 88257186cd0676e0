package io.strata.observability;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;

/**
 * Drops the two gauges Quarkus' Vert.x metrics register for every Postgres connection
 * ({@code postgresql.current}, {@code postgresql.queue.size}): all connections of a pool register
 * them under the same id, so Micrometer keeps the first connection's, reports it as the pool's, and
 * warns about the rest. The pools' own gauges ({@code sql.pool.*}, one per named pool) say what
 * they meant to; the per-connection timers and counters are kept.
 */
@Singleton
public class SqlConnectionGauges {

    @Produces
    @Singleton
    MeterFilter dropPerConnectionGauges() {
        return MeterFilter.deny(id -> id.getType() == Meter.Type.GAUGE
                && (id.getName().equals("postgresql.current") || id.getName().equals("postgresql.queue.size")));
    }
}
