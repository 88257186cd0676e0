package io.strata.api;

import java.util.concurrent.atomic.AtomicLong;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.strata.config.ApiConfig;

/**
 * The bytes of request bodies held by requests being handled, bounded so that many concurrent
 * large bodies (each under the body limit) cannot exhaust the heap: a body is admitted only if
 * its bytes fit, and they are given back when its exchange ends. One body is always admitted when
 * nothing else is held, so a body under the body limit can never be refused forever.
 */
@Singleton
public class BodiesInFlight {

    private final long limit;
    private final AtomicLong held = new AtomicLong();
    private final Counter refused;

    @Inject
    public BodiesInFlight(ApiConfig config, MeterRegistry registry) {
        this(config.maxBodiesInFlight().asLongValue(), registry);
    }

    BodiesInFlight(long limit, MeterRegistry registry) {
        this.limit = limit;
        Gauge.builder("strata.http.bodies.in.flight.bytes", held, AtomicLong::get)
                .description("Bytes of request bodies held by requests being handled").baseUnit("bytes").register(registry);
        this.refused = Counter.builder("strata.http.overloaded")
                .description("Requests answered 503 overloaded because the bodies in flight were at their limit").register(registry);
    }

    /** Takes {@code bytes} from the budget; false (and counted) when they do not fit. */
    public boolean tryHold(long bytes) {
        while (true) {
            long now = held.get();
            if (now > 0 && now + bytes > limit) {
                refused.increment();
                return false;
            }
            if (held.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    public void release(long bytes) {
        held.addAndGet(-bytes);
    }

    public long held() {
        return held.get();
    }

    public long limit() {
        return limit;
    }
}
