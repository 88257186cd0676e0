package io.strata.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.Metrics;
import io.quarkus.arc.ClientProxy;
import io.quarkus.reactive.datasource.ReactiveDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.testing.Provider;
import io.strata.testing.StartupLog;
import io.strata.testing.StrataTest;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * A start (and the first requests, which open the per-loop Redis clients) registers no meter
 * twice. Quarkus' redis.pool.queue.size warning came from two Redis clients under the default
 * name: Quarkus creates its default client twice when a Redis data source is injected anywhere
 * (the second is discarded, its pool's gauges collide with the first's), and the per-loop clients
 * had the default name too. Micrometer warns only at the first duplicate in a JVM (then logs at
 * debug), so the test reads the debug messages too.
 * The reactive Postgres pools registered their gauges under one name too
 * ({@code sql.pool.*{pool.name=__vertx.DEFAULT}}: Quarkus names a pool only when it is shared,
 * {@code PostgresPoolNames} names them), and every Postgres connection registers
 * {@code postgresql.current} and {@code postgresql.queue.size} under its pool's id
 * ({@code ClientConnectionGauges} drops those, and their Redis twins, which a reconnect registered
 * again).
 */
@QuarkusTest
@QuarkusTestResource(value = StartupLog.class, restrictToAnnotatedClass = true)
class StartupLogTest extends StrataTest {

    @Test
    void noMeterIsRegisteredTwice() {
        for (int i = 0; i < 8; i++) {
            chat(chatBody(uniquePrompt())).then().statusCode(200);
        }
        List<String> duplicates = StartupLog.micrometerMessages().stream()
                .filter(m -> m.contains("already registered"))
                .toList();
        assertEquals(List.of(), duplicates, "meters registered twice");
    }

    /** A reconnect opens new connections under the same client names: their per-connection gauges came again. */
    @Test
    void aRedisReconnectRegistersNoMeterTwice() {
        String body = chatBody(uniquePrompt());
        chat(body).then().statusCode(200);
        Provider.redisDown();
        try {
            chat(chatBody(uniquePrompt())).then().statusCode(200);
        } finally {
            Provider.redisUp();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> "HIT-L1".equals(chat(body).header("X-Cache-Status")));
        List<String> duplicates = StartupLog.micrometerMessages().stream().filter(m -> m.contains("already registered")).toList();
        assertEquals(List.of(), duplicates, "meters registered twice");
    }

    @Inject
    Pool admin;
    @Inject
    @ReactiveDataSource("cache-writes")
    Pool cacheWrites;
    @Inject
    @ReactiveDataSource("history")
    Pool history;
    @Inject
    @ReactiveDataSource("reads")
    Pool reads;

    /** LeasedQueryPoolTest shows why: the pool's one-shot queries log "Result is already complete" 30 s after Postgres was away. */
    @Test
    void everyPostgresPoolRunsItsQueriesOnLeasedConnections() {
        for (Pool pool : List.of(admin, cacheWrites, history, reads)) {
            assertEquals("LeasedQueryPool", ClientProxy.unwrap(pool.getDelegate()).getClass().getSimpleName());
        }
    }

    @Test
    void eachPostgresPoolReportsItsOwnGauges() {
        Set<String> pools = Metrics.globalRegistry.find("sql.pool.queue.size").gauges().stream()
                .map(gauge -> gauge.getId().getTag("pool.name")).collect(Collectors.toSet());
        assertEquals(Set.of("strata-admin", "strata-cache-writes", "strata-history", "strata-reads"), pools);
    }
}
