package io.strata.proxy;

import java.nio.charset.StandardCharsets;

import io.strata.core.OpenAiErrors;
import io.strata.upstream.UpstreamErrors;

/** The OpenAI-shaped error event that ends a stream which broke after its first byte. */
final class StreamErrors {

    private StreamErrors() {
    }

    static byte[] event(Throwable failure) {
        String json = new String(OpenAiErrors.body(UpstreamErrors.asStrataError(failure)), StandardCharsets.UTF_8);
        return ("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
    }
}
