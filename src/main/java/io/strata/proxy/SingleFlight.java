package io.strata.proxy;

import java.time.InstantSource;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.strata.cache.CacheEntry;
import io.strata.cache.CacheKey;
import io.strata.cache.FlightLock;
import io.strata.cache.LandingNotifications;
import io.strata.cache.LayeredCache;
import io.strata.config.CacheConfig;
import io.vertx.core.Vertx;

/**
 * Single-flight: identical requests in flight in this instance share one {@link Flight}, and
 * across instances the flight's leader takes a Redis lock so only one instance calls the
 * provider while the others wait, woken through Redis pub/sub, for its entry in L1.
 */
@Singleton
public class SingleFlight {

    private final ConcurrentHashMap<String, Flight> flights = new ConcurrentHashMap<>();
    private final boolean enabled;
    private final boolean distributed;
    private final long remoteWaitMillis;
    private final long lockCheckMillis;
    private final long renewEveryMillis;
    private final Counter coalesced;
    private final FlightLock lock;
    private final LandingNotifications landings;
    private final LayeredCache cache;
    private final Vertx vertx;
    private final InstantSource clock;

    public SingleFlight(CacheConfig config, MeterRegistry registry, FlightLock lock, LandingNotifications landings, LayeredCache cache,
            Vertx vertx, InstantSource clock) {
        this.enabled = config.singleFlight().enabled();
        this.distributed = config.singleFlight().distributed();
        this.remoteWaitMillis = config.singleFlight().remoteWait().toMillis();
        this.lockCheckMillis = config.singleFlight().lockCheckInterval().toMillis();
        this.renewEveryMillis = Math.max(100, lock.ttlMillis() / 3);
        this.lock = lock;
        this.landings = landings;
        this.cache = cache;
        this.vertx = vertx;
        this.clock = clock;
        this.coalesced = Counter.builder("strata.cache.coalesced")
                .description("Requests answered by another identical request's provider call").register(registry);
    }

    /** The flight for this key and whether the caller leads it (makes the call) or follows. */
    record Joined(Flight flight, boolean leader) {
    }

    Joined join(String key) {
        if (!enabled) {
            return new Joined(new Flight(), true);
        }
        Flight created = new Flight();
        Flight existing = flights.putIfAbsent(key, created);
        if (existing == null) {
            return new Joined(created, true);
        }
        existing.joined();
        coalesced.increment();
        return new Joined(existing, false);
    }

    /** The flight's answer is stored (or will not be): later requests look the cache up again. */
    void land(String key, Flight flight) {
        flights.remove(key, flight);
    }

    /** Flights in progress, for tests and stats. */
    public int inFlight() {
        return flights.size();
    }

    // ---- across instances ----

    /** The cross-instance lock for this key, or "unavailable" when coalescing stays local. */
    Uni<FlightLock.Lease> lease(CacheKey key) {
        return distributed
                ? lock.acquire(key.hex())
                : Uni.createFrom().item(new FlightLock.Lease(FlightLock.Lease.State.UNAVAILABLE, key.hex(), null));
    }

    /** Keeps a held lock alive while the call runs; answers the timer to {@link #letGo}. */
    long keepAlive(FlightLock.Lease lease) {
        return lease.acquired() ? vertx.setPeriodic(renewEveryMillis, id -> lock.renew(lease)) : -1;
    }

    /** Stops renewing and releases the lock, telling waiting instances whether the entry is in L1. */
    void letGo(FlightLock.Lease lease, long keepAlive, boolean stored) {
        if (keepAlive >= 0) {
            vertx.cancelTimer(keepAlive);
        }
        lock.release(lease, stored ? LandingNotifications.Landing.STORED : LandingNotifications.Landing.ABANDONED);
    }

    /** After waiting for another instance: its entry, or the lease to call with (held, or unavailable: alone). */
    record Remote(CacheEntry entry, FlightLock.Lease lease) {
    }

    /**
     * Waits (bounded by the remote wait) for the instance holding the lock: subscribe to the
     * key's landing, look at L1 once, then wait for the landing, a lock that vanished, or the
     * deadline. Then the entry if it is in L1; otherwise the lock is tried again, so the waiters
     * of a holder that gave up still make one call between them.
     */
    Uni<Remote> awaitOtherInstance(CacheKey key) {
        return awaitUntil(key, clock.millis() + remoteWaitMillis);
    }

    private Uni<Remote> awaitUntil(CacheKey key, long deadline) {
        return landings.subscribe(key.hex())
                .onFailure().recoverWithNull()
                .chain(waiter -> cache.readL1(key, clock.millis()).chain(entry -> {
                    if (entry != null || waiter == null) {
                        if (waiter != null) {
                            waiter.cancel();
                        }
                        return Uni.createFrom().item(entry);
                    }
                    return landedOrGone(waiter, key, deadline).chain(() -> cache.readL1(key, clock.millis()));
                }))
                .chain(entry -> {
                    if (entry != null) {
                        return Uni.createFrom().item(new Remote(entry, null));
                    }
                    return lock.acquire(key.hex()).chain(lease -> lease.state() == FlightLock.Lease.State.HELD_ELSEWHERE
                            && clock.millis() < deadline
                                    ? awaitUntil(key, deadline)
                                    : Uni.createFrom().item(new Remote(null, lease)));
                });
    }

    /** Resolves on the landing, when the lock is found gone, or at the deadline, whichever comes first. */
    private Uni<Void> landedOrGone(LandingNotifications.Waiter waiter, CacheKey key, long deadline) {
        return Uni.createFrom().<Void>emitter(emitter -> {
            long remaining = Math.max(1, deadline - clock.millis());
            long expiry = vertx.setTimer(remaining, id -> emitter.complete(null));
            long check = vertx.setPeriodic(lockCheckMillis, id -> lock.isHeld(key.hex()).subscribe().with(held -> {
                if (!held) {
                    emitter.complete(null);
                }
            }));
            waiter.landing().subscribe().with(landing -> emitter.complete(null), failure -> emitter.complete(null));
            emitter.onTermination(() -> {
                vertx.cancelTimer(expiry);
                vertx.cancelTimer(check);
                waiter.cancel();
            });
        });
    }
}
