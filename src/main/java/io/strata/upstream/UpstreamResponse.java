package io.strata.upstream;

import io.smallrye.mutiny.Multi;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * The provider's answer: fully read ({@code body}), or, for a streamed 200, a live {@code stream}
 * of bytes that must be subscribed exactly once ({@code body} is then null).
 */
public record UpstreamResponse(int status, MultiMap headers, Buffer body, Multi<Buffer> stream) {

    public UpstreamResponse(int status, MultiMap headers, Buffer body) {
        this(status, headers, body, null);
    }

    public boolean isStreaming() {
        return stream != null;
    }

    public boolean isOk() {
        return status == 200;
    }

    public String header(String name) {
        return headers.get(name);
    }
}
