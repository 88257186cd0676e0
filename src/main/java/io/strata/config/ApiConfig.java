package io.strata.config;

import java.util.List;
import java.util.Optional;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The HTTP surface on port 8080. */
@ConfigMapping(prefix = "strata.api")
public interface ApiConfig {

    /** Accepted client keys (Authorization: Bearer); empty accepts any caller. */
    Optional<List<String>> clientKeys();

    /** Bearer token of /admin; without it the admin API answers 404. */
    Optional<String> adminToken();

    /** Largest request body; larger bodies get 413 body_too_large. */
    @WithDefault("8M")
    MemorySize maxBodySize();

    /**
     * Bytes of request bodies that requests being handled may hold together (a body without a
     * Content-Length counts as {@code max-body-size} while it is read); a request whose body does not
     * fit answers 503 {@code overloaded} with {@code Retry-After}. Sized for the chart's 128 MB heap:
     * a body costs a few times its size while it is parsed, forwarded and recorded.
     */
    @WithDefault("16M")
    MemorySize maxBodiesInFlight();

    /** Longest request URI; longer ones answer 414 uri_too_long (the HTTP decoder's own limit is set far above). */
    @WithDefault("4096")
    int maxUriLength();

    /** Largest request headers, all together; larger ones answer 431 request_header_fields_too_large. */
    @WithDefault("16K")
    MemorySize maxHeaderSize();

    /**
     * A new connection whose first request's headers are not complete this long after it opened is
     * closed, whether it sent nothing or trickles them (the HTTP server's idle timeout,
     * {@code quarkus.http.idle-timeout}: its timer sits behind the HTTP decoder, so it sees no read
     * until a request's headers are decoded).
     */
    @WithDefault("60s")
    java.time.Duration headerTimeout();

    /** Longest time a request body may take to arrive after its headers; then 408 request_timeout and the connection closes. */
    @WithDefault("60s")
    java.time.Duration bodyTimeout();

    /** After an answer, how long the connection waits for the next request's headers before it is closed. */
    @WithDefault("75s")
    java.time.Duration keepAliveTimeout();

    /**
     * On SIGTERM, how long Strata goes on serving as usual with readiness DOWN (every answer closing
     * its connection), so that a load balancer stops sending it requests before it refuses them.
     * 0 outside Kubernetes; the chart sets a few seconds.
     */
    @WithDefault("0s")
    java.time.Duration shutdownDelay();

    /**
     * After the shutdown delay, how long requests in flight may take to finish; requests arriving
     * meanwhile are answered 503 {@code shutting_down} at once. Their history records are written
     * after them, within {@code strata.history.writer.shutdown-grace}.
     */
    @WithDefault("15s")
    java.time.Duration shutdownGrace();
}
