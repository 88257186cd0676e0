package io.strata.upstream;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/** The provider's answer, fully read. */
public record UpstreamResponse(int status, MultiMap headers, Buffer body) {

    public boolean isOk() {
        return status == 200;
    }

    public String header(String name) {
        return headers.get(name);
    }
}
