package io.strata.upstream;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.strata.cache.PipelinedRedis;
import io.strata.config.UpstreamConfig;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;

/**
 * The provider budget shared by all instances: requests and tokens per minute, counted
 * in Redis by one atomic script per call. A reservation takes one request and the estimated tokens
 * for the current minute, or is refused with the seconds until the next; {@link #settle} replaces
 * the estimate by the usage the provider reported. When Redis does not answer in time the call
 * goes ahead: a cache-side outage must not stop traffic the per-instance limit still bounds.
 * Both counters of a minute share a hash tag ({@code strata:budget:{<minute>}:req|tok}), so the
 * script's keys are in one slot of a Redis Cluster.
 */
@Singleton
public class SharedBudget {

    private static final Logger LOG = Logger.getLogger(SharedBudget.class);

    /** KEYS: requests, tokens. ARGV: tokens to reserve, request limit, token limit. Answers 1 (granted) or 0. */
    private static final String RESERVE = """
            local r = redis.call('INCR', KEYS[1])
            local t = redis.call('INCRBY', KEYS[2], ARGV[1])
            redis.call('PEXPIRE', KEYS[1], 120000)
            redis.call('PEXPIRE', KEYS[2], 120000)
            local maxR = tonumber(ARGV[2])
            local maxT = tonumber(ARGV[3])
            if (maxR > 0 and r > maxR) or (maxT > 0 and t > maxT) then
              redis.call('DECR', KEYS[1])
              redis.call('DECRBY', KEYS[2], ARGV[1])
              return 0
            end
            return 1""";

    static final String KEY_PREFIX = "strata:budget:";

    private final PipelinedRedis redis;
    private final UpstreamConfig.Budget config;
    private final Counter granted;
    private final Counter refused;
    private final Counter unavailable;

    public SharedBudget(PipelinedRedis redis, UpstreamConfig upstream, MeterRegistry registry) {
        this.redis = redis;
        this.config = upstream.budget();
        this.granted = outcome(registry, "granted");
        this.refused = outcome(registry, "refused");
        this.unavailable = outcome(registry, "unavailable");
    }

    private static Counter outcome(MeterRegistry registry, String outcome) {
        return Counter.builder("strata.upstream.budget").description("Shared provider budget reservations by outcome")
                .tag("outcome", outcome).register(registry);
    }

    public boolean enabled() {
        return config.requestsPerMinute() > 0 || config.tokensPerMinute() > 0;
    }

    /** Completion tokens to assume when the request sets no limit. */
    public int defaultCompletionTokens() {
        return config.defaultCompletionTokens();
    }

    /** Reserves one request and the estimated tokens in this minute's budget. */
    public Uni<Reservation> reserve(long estimatedTokens) {
        long minute = System.currentTimeMillis() / 60_000;
        String requests = requestsKey(minute);
        String tokens = tokensKey(minute);
        return redis.send(Request.cmd(Command.EVAL).arg(RESERVE).arg(2).arg(requests).arg(tokens).arg(estimatedTokens)
                .arg(config.requestsPerMinute()).arg(config.tokensPerMinute()))
                .ifNoItem().after(config.timeout()).fail()
                .map(answer -> answer != null && answer.toLong() == 1L)
                .onItem().transform(ok -> {
                    if (!ok) {
                        refused.increment();
                        throw new BudgetExhausted(60 - (System.currentTimeMillis() / 1000) % 60);
                    }
                    granted.increment();
                    return new Reservation(tokens, estimatedTokens);
                })
                .onFailure(failure -> !(failure instanceof BudgetExhausted)).recoverWithItem(failure -> {
                    unavailable.increment();
                    LOG.debugf("Shared budget skipped, Redis did not answer: %s", failure.toString());
                    return Reservation.NONE;
                });
    }

    static String requestsKey(long minute) {
        return KEY_PREFIX + "{" + minute + "}:req";
    }

    static String tokensKey(long minute) {
        return KEY_PREFIX + "{" + minute + "}:tok";
    }

    /** Replaces the reservation's estimate by the tokens actually used (0 when the call failed). Fire-and-forget. */
    public void settle(Reservation reservation, long actualTokens) {
        if (reservation == Reservation.NONE || actualTokens == reservation.estimatedTokens()) {
            return;
        }
        redis.send(Request.cmd(Command.INCRBY).arg(reservation.tokensKey()).arg(actualTokens - reservation.estimatedTokens()))
                .subscribe().with(ok -> {
                }, failure -> LOG.debugf("Shared budget correction lost: %s", failure.toString()));
    }

    /** A granted reservation: which minute's token counter it went to and how much it took. */
    public record Reservation(String tokensKey, long estimatedTokens) {
        static final Reservation NONE = new Reservation(null, 0);
    }

    /** The shared budget of this minute is spent. */
    public static final class BudgetExhausted extends RuntimeException {
        private final long retryAfterSeconds;

        BudgetExhausted(long retryAfterSeconds) {
            super("The shared provider budget for this minute is spent", null, false, false);
            this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
        }

        public long retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }

}
