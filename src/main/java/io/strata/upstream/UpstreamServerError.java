package io.strata.upstream;

/** The provider answered 5xx: retried, counted by the circuit breaker, and passed through when retries run out. */
public final class UpstreamServerError extends RuntimeException {

    private final transient UpstreamResponse response;

    public UpstreamServerError(UpstreamResponse response) {
        super("Provider answered " + response.status(), null, false, false);
        this.response = response;
    }

    public UpstreamResponse response() {
        return response;
    }
}
