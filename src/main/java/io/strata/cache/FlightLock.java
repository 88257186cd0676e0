package io.strata.cache;

import java.util.UUID;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.strata.config.CacheConfig;
import io.strata.core.Deadlines;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * The Redis lock that lets one instance call the provider for a key while the others wait for its
 * entry (SET NX PX, renewed by the holder, released only by the holder, whose release also
 * publishes the landing so waiters wake at once). Redis away or slow: the lock is "unavailable"
 * and each instance goes on alone. A SET that succeeds after its caller gave up is released at
 * once, so no lock is left that nobody holds.
 */
@Singleton
public class FlightLock {

    private static final Logger LOG = Logger.getLogger(FlightLock.class);

    private static final String RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
    /** KEYS: lock. ARGV: token, channel, landing state. Deletes the lock if still ours, then tells the waiters. */
    private static final String RELEASE = """
            local released = 0
            if redis.call('GET', KEYS[1]) == ARGV[1] then released = redis.call('DEL', KEYS[1]) end
            if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
            return released""";
    static final String PREFIX = "strata:lock:";

    private final PipelinedRedis redis;
    private final Deadlines deadlines;
    private final long ttlMillis;
    private final long timeoutMillis;
    private final Counter lateReleases;

    public FlightLock(PipelinedRedis redis, Deadlines deadlines, CacheConfig config, MeterRegistry registry) {
        this.redis = redis;
        this.deadlines = deadlines;
        this.ttlMillis = config.singleFlight().lockTtl().toMillis();
        this.timeoutMillis = config.singleFlight().lockTimeout().toMillis();
        this.lateReleases = Counter.builder("strata.cache.flight.lock.late")
                .description("Flight locks granted after their caller had given up, released at once").register(registry);
    }

    /** What taking the lock gave. */
    public record Lease(State state, String hexKey, String token) {
        public enum State {
            ACQUIRED, HELD_ELSEWHERE, UNAVAILABLE
        }

        public boolean acquired() {
            return state == State.ACQUIRED;
        }
    }

    public Uni<Lease> acquire(String hexKey) {
        String token = UUID.randomUUID().toString();
        Uni<Response> set = redis.send(Request.cmd(Command.SET).arg(PREFIX + hexKey).arg(token).arg("NX").arg("PX").arg(ttlMillis));
        return deadlines.within(timeoutMillis, set, late -> {
            if (late != null) { // granted after we stopped waiting: nobody holds it, so let it go now
                lateReleases.increment();
                release(new Lease(Lease.State.ACQUIRED, hexKey, token), null);
            }
        })
                .map(answer -> new Lease(answer != null ? Lease.State.ACQUIRED : Lease.State.HELD_ELSEWHERE, hexKey, token))
                .onFailure().recoverWithItem(failure -> {
                    LOG.debugf("Flight lock unavailable: %s", failure.toString());
                    return new Lease(Lease.State.UNAVAILABLE, hexKey, token);
                });
    }

    /** Extends a held lock; fire-and-forget. */
    public void renew(Lease lease) {
        if (lease.acquired()) {
            redis.send(Request.cmd(Command.EVAL).arg(RENEW).arg(1).arg(PREFIX + lease.hexKey()).arg(lease.token()).arg(ttlMillis))
                    .subscribe().with(ok -> {
                    }, failure -> LOG.debugf("Flight lock renewal failed: %s", failure.toString()));
        }
    }

    /**
     * Releases a held lock (only if still ours) and, with a landing state, tells the instances
     * waiting for this key; fire-and-forget.
     */
    public void release(Lease lease, LandingNotifications.Landing landing) {
        if (!lease.acquired()) {
            return;
        }
        String channel = landing == null ? "" : LandingNotifications.channel(lease.hexKey());
        redis.send(Request.cmd(Command.EVAL).arg(RELEASE).arg(1).arg(PREFIX + lease.hexKey()).arg(lease.token())
                .arg(channel).arg(landing == null ? "" : landing.name()))
                .subscribe().with(ok -> {
                }, failure -> LOG.debugf("Flight lock release failed: %s", failure.toString()));
    }

    /** Whether someone holds the lock of this key; false when Redis does not answer in time. */
    public Uni<Boolean> isHeld(String hexKey) {
        return deadlines.within(timeoutMillis, redis.send(Request.cmd(Command.EXISTS).arg(PREFIX + hexKey)))
                .map(answer -> answer != null && answer.toInteger() == 1)
                .onFailure().recoverWithItem(false);
    }

    public long ttlMillis() {
        return ttlMillis;
    }
}
