package io.strata.proxy;

import io.strata.core.OpenAiErrors;
import io.strata.core.StrataException;
import io.strata.upstream.UpstreamErrors;
import io.strata.upstream.sse.StreamFormat;

/** The OpenAI-shaped error event that ends a stream which broke after its first byte, in the endpoint's stream format. */
final class StreamErrors {

    private StreamErrors() {
    }

    static byte[] event(StreamFormat format, Throwable failure, int sequence) {
        StrataException error = UpstreamErrors.asStrataError(failure);
        return format.errorEvent(OpenAiErrors.body(error), error.getMessage(), error.code(), error.param(), sequence);
    }
}
