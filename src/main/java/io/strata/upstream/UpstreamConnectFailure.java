package io.strata.upstream;

/** No answer from the provider at all: connection refused, reset or closed. Retried and counted by the breaker. */
public final class UpstreamConnectFailure extends RuntimeException {

    public UpstreamConnectFailure(Throwable cause) {
        super("Provider unreachable: " + cause.getMessage(), cause, false, false);
    }
}
