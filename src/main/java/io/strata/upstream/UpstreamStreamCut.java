package io.strata.upstream;

/** The provider's stream broke or ended before [DONE]: nothing is stored, streamed clients get an error event. */
public final class UpstreamStreamCut extends RuntimeException {

    public UpstreamStreamCut(String message) {
        super(message, null, false, false);
    }

    public UpstreamStreamCut(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
