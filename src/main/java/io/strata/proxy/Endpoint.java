package io.strata.proxy;

import com.fasterxml.jackson.databind.JsonNode;

import io.strata.upstream.sse.StreamFormat;

/** The proxied endpoints; {@link #id()} names them in keys, metrics and history. */
public enum Endpoint {
    CHAT_COMPLETIONS("chat.completions", "/chat/completions", true, StreamFormat.CHAT_COMPLETIONS), COMPLETIONS("completions",
            "/completions", true, StreamFormat.COMPLETIONS), RESPONSES("responses", "/responses", true, StreamFormat.RESPONSES), EMBEDDINGS(
                    "embeddings", "/embeddings", true, null), MODELS("models", "/models", true, null), OTHER("other", null, false, null);

    private final String id;
    private final String path;
    private final boolean cached;
    private final StreamFormat streamFormat;

    Endpoint(String id, String path, boolean cached, StreamFormat streamFormat) {
        this.id = id;
        this.path = path;
        this.cached = cached;
        this.streamFormat = streamFormat;
    }

    public String id() {
        return id;
    }

    /** The path below the provider's base URL. */
    public String path() {
        return path;
    }

    public boolean cached() {
        return cached;
    }

    /** Whether {@code stream: true} makes the answer a stream of server-sent events. */
    public boolean streams() {
        return streamFormat != null;
    }

    /** How this endpoint's streams are assembled and synthesised; null when it does not stream. */
    public StreamFormat streamFormat() {
        return streamFormat;
    }

    /**
     * Whether this request's answer may come from and go to the cache. A Responses request with
     * {@code background: true} answers a queued response whose status changes later: never cached.
     */
    public boolean cacheable(JsonNode body) {
        return this != RESPONSES || body == null || !body.path("background").asBoolean(false);
    }
}
