package io.strata.observability;

import java.time.Duration;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.strata.core.VertxFutures;
import io.strata.history.HistoryWriter;
import io.strata.upstream.GuardedUpstream;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;

/**
 * Readiness: reports Redis, Postgres and the provider breaker. A cache layer that is down makes
 * requests slower, not failed, so it does not make the pod unready on its own; the pod is unready
 * only when nothing could answer: the provider's breaker is open and both layers are down, or
 * when the process is shutting down (from SIGTERM on, so that a Service stops routing here while
 * the requests in flight finish).
 */
@Readiness
@ApplicationScoped
public class StrataReadinessCheck implements AsyncHealthCheck {

    private static final Duration PING_TIMEOUT = Duration.ofSeconds(1);
    private static final double STALLED_AFTER_SECONDS = 10;

    /** Quarkus' default client, not a data source (see {@link io.strata.cache.RedisLayer}). */
    private final Redis redis;
    private final Pool postgres;
    private final GuardedUpstream upstream;
    private final HistoryWriter history;
    private volatile boolean shuttingDown;

    public StrataReadinessCheck(Redis redis, Pool postgres, GuardedUpstream upstream, HistoryWriter history) {
        this.redis = redis;
        this.postgres = postgres;
        this.upstream = upstream;
        this.history = history;
    }

    /** Quarkus' pre-shutdown notice: observed before the HTTP edge's drain, which blocks the shutdown thread. */
    void onShutdown(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownDelayInitiatedEvent event) {
        shuttingDown = true;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        if (shuttingDown) {
            return Uni.createFrom().item(HealthCheckResponse.named("strata").withData("shutdown", "in progress").down().build());
        }
        Uni<Boolean> redisUp = VertxFutures.uni(() -> redis.send(Request.cmd(Command.PING))).map(ignored -> true)
                .ifNoItem().after(PING_TIMEOUT).fail().onFailure().recoverWithItem(false);
        Uni<Boolean> postgresUp = postgres.query("SELECT 1").execute().map(ignored -> true)
                .ifNoItem().after(PING_TIMEOUT).fail().onFailure().recoverWithItem(false);
        return Uni.combine().all().unis(redisUp, postgresUp).with((l1, l2) -> {
            CircuitBreakerState breaker = upstream.breakerState();
            boolean providerPath = breaker != CircuitBreakerState.OPEN;
            HealthCheckResponseBuilder response = HealthCheckResponse.named("strata")
                    .withData("redis", l1 ? "up" : "down")
                    .withData("postgres", l2 ? "up" : "down")
                    .withData("upstream-circuit", breaker.name().toLowerCase(java.util.Locale.ROOT))
                    // shown, not failing: a writer waiting for Postgres must not take the pod out of service
                    .withData("history-writer", writerState(history.stalledSeconds()));
            return response.status(providerPath || l1 || l2).build();
        });
    }

    /** "ok", or how long records have waited with nothing written (more than a few batches' time). */
    static String writerState(double stalledSeconds) {
        return stalledSeconds < STALLED_AFTER_SECONDS ? "ok" : "stalled " + (long) stalledSeconds + " s";
    }
}
