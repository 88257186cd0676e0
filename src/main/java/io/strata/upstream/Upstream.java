package io.strata.upstream;

import io.smallrye.mutiny.Uni;

/** A provider that answers OpenAI-compatible requests. The returned Uni is lazy: nothing is sent until it is subscribed. */
public interface Upstream {

    Uni<UpstreamResponse> send(UpstreamRequest request);
}
