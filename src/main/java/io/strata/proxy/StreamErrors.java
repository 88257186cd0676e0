package io.strata.proxy;

import java.nio.charset.StandardCharsets;

import io.strata.api.OpenAiErrors;
import io.strata.api.StrataException;

/** The OpenAI-shaped error event that ends a stream which broke after its first byte. */
final class StreamErrors {

    private StreamErrors() {
    }

    static byte[] event(Throwable failure) {
        StrataException error = ProxyPipeline.asStrataError(failure);
        String json = new String(OpenAiErrors.body(error), StandardCharsets.UTF_8);
        return ("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
    }
}
