package io.strata.cache;

import java.time.Duration;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.strata.config.CacheConfig;

/**
 * The Redis lock that lets one instance call the provider for a key while the others wait for its
 * entry (SET NX PX, renewed by the holder, released only by the holder). Redis away: the lock is
 * "unavailable" and each instance goes on alone.
 */
@ApplicationScoped
public class FlightLock {

    private static final Logger LOG = Logger.getLogger(FlightLock.class);

    private static final String RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
    private static final String RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
    private static final String PREFIX = "strata:lock:";

    private final ReactiveRedisDataSource redis;
    private final long ttlMillis;
    private final Duration timeout;

    public FlightLock(ReactiveRedisDataSource redis, CacheConfig config) {
        this.redis = redis;
        this.ttlMillis = config.singleFlight().lockTtl().toMillis();
        this.timeout = config.singleFlight().lockTimeout();
    }

    /** What taking the lock gave. */
    public record Lease(State state, String key, String token) {
        public enum State { ACQUIRED, HELD_ELSEWHERE, UNAVAILABLE }

        public boolean acquired() {
            return state == State.ACQUIRED;
        }
    }

    public Uni<Lease> acquire(String hexKey) {
        String key = PREFIX + hexKey;
        String token = UUID.randomUUID().toString();
        return redis.execute("SET", key, token, "NX", "PX", Long.toString(ttlMillis))
                .ifNoItem().after(timeout).fail()
                .map(answer -> new Lease(answer != null ? Lease.State.ACQUIRED : Lease.State.HELD_ELSEWHERE, key, token))
                .onFailure().recoverWithItem(failure -> {
                    LOG.debugf("Flight lock unavailable: %s", failure.toString());
                    return new Lease(Lease.State.UNAVAILABLE, key, token);
                });
    }

    /** Extends a held lock; fire-and-forget. */
    public void renew(Lease lease) {
        if (lease.acquired()) {
            redis.execute("EVAL", RENEW, "1", lease.key(), lease.token(), Long.toString(ttlMillis))
                    .subscribe().with(ok -> {
                    }, failure -> LOG.debugf("Flight lock renewal failed: %s", failure.toString()));
        }
    }

    /** Releases a held lock (only if still ours); fire-and-forget. */
    public void release(Lease lease) {
        if (lease.acquired()) {
            redis.execute("EVAL", RELEASE, "1", lease.key(), lease.token())
                    .subscribe().with(ok -> {
                    }, failure -> LOG.debugf("Flight lock release failed: %s", failure.toString()));
        }
    }

    /** Whether someone holds the lock of this key; false when Redis does not answer. */
    public Uni<Boolean> isHeld(String hexKey) {
        return redis.execute("EXISTS", PREFIX + hexKey).map(answer -> answer.toInteger() == 1)
                .ifNoItem().after(timeout).fail()
                .onFailure().recoverWithItem(false);
    }

    public long ttlMillis() {
        return ttlMillis;
    }
}
