package io.strata.upstream;

/** The provider answered 429 with a Retry-After short enough to wait for; passed through when retries run out. */
public final class UpstreamRateLimited extends RuntimeException {

    private final transient UpstreamResponse response;
    private final long retryAfterMillis;

    public UpstreamRateLimited(UpstreamResponse response, long retryAfterMillis) {
        super("Provider rate limited the call for " + retryAfterMillis + " ms", null, false, false);
        this.response = response;
        this.retryAfterMillis = retryAfterMillis;
    }

    public UpstreamResponse response() {
        return response;
    }

    public long retryAfterMillis() {
        return retryAfterMillis;
    }
}
