package io.strata.observability;

import java.util.Set;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;

/**
 * Drops the two gauges Quarkus' Vert.x metrics register for every Postgres and Redis connection
 * ({@code postgresql.current}, {@code postgresql.queue.size}, {@code redis.current},
 * {@code redis.queue.size}): every connection of a pool or client registers them under the same
 * id, so Micrometer keeps the first connection's, reports it as the pool's (after a reconnect: a
 * connection long closed), and warns about the rest. The pools' own gauges ({@code sql.pool.*},
 * {@code redis.pool.*}, one per named pool) say what they meant to; the per-connection timers and
 * counters are kept.
 */
@Singleton
public class ClientConnectionGauges {

    private static final Set<String> PER_CONNECTION = Set.of("postgresql.current", "postgresql.queue.size", "redis.current",
            "redis.queue.size");

    @Produces
    @Singleton
    MeterFilter dropPerConnectionGauges() {
        return MeterFilter.deny(id -> id.getType() == Meter.Type.GAUGE && PER_CONNECTION.contains(id.getName()));
    }
}
