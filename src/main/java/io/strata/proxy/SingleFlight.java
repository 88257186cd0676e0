package io.strata.proxy;

import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.strata.config.CacheConfig;

/** The flights in progress in this instance, by cache key. */
@ApplicationScoped
public class SingleFlight {

    private final ConcurrentHashMap<String, Flight> flights = new ConcurrentHashMap<>();
    private final boolean enabled;
    private final Counter coalesced;

    public SingleFlight(CacheConfig config, MeterRegistry registry) {
        this.enabled = config.singleFlight().enabled();
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
}
