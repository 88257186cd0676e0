package io.strata.proxy;

/** The provider's stream broke or ended before [DONE]: nothing is stored, streamed clients get an error event. */
final class UpstreamStreamCut extends RuntimeException {

    UpstreamStreamCut(String message) {
        super(message, null, false, false);
    }

    UpstreamStreamCut(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
