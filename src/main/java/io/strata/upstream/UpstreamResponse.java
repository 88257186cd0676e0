package io.strata.upstream;

import java.util.function.LongConsumer;

import io.smallrye.mutiny.Multi;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * The provider's answer: fully read ({@code body}), or, for a streamed 200, a live {@code stream}
 * of bytes that must be subscribed exactly once ({@code body} is then null); whoever reads a
 * stream to its end reports the tokens it used through {@code usageReport}.
 */
public record UpstreamResponse(int status, MultiMap headers, Buffer body, Multi<Buffer> stream, LongConsumer usageReport) {

    private static final LongConsumer IGNORED = tokens -> {
    };

    public UpstreamResponse(int status, MultiMap headers, Buffer body) {
        this(status, headers, body, null, IGNORED);
    }

    public UpstreamResponse(int status, MultiMap headers, Buffer body, Multi<Buffer> stream) {
        this(status, headers, body, stream, IGNORED);
    }

    /** The same answer, telling {@code report} the tokens a stream used once its reader knows them. */
    public UpstreamResponse withUsageReport(LongConsumer report) {
        return new UpstreamResponse(status, headers, body, stream, report);
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
