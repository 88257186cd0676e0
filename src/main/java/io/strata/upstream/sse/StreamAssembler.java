package io.strata.upstream.sse;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Builds the answer a non-streamed call would have given from the events of a streamed one. Not thread-safe: one per stream. */
public interface StreamAssembler {

    /** Takes one event; one that is not JSON, or an error event, marks the answer broken. */
    void accept(SseEvent event);

    /** Whether the stream ended properly (its terminal event seen, nothing broken): the assembled answer is whole. */
    boolean complete();

    /** The assembled answer, shaped like the provider's non-streamed one. */
    ObjectNode assemble();
}
