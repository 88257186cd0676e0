package io.strata.upstream;

/** The provider answered something that is not a usable HTTP answer (too large, unreadable). Not retried. */
public final class UpstreamBadResponse extends RuntimeException {

    public UpstreamBadResponse(String message) {
        super(message, null, false, false);
    }
}
