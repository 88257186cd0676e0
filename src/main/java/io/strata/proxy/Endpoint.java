package io.strata.proxy;

/** The proxied endpoints; {@link #id()} names them in keys, metrics and history. */
public enum Endpoint {
    CHAT_COMPLETIONS("chat.completions", "/chat/completions", true),
    COMPLETIONS("completions", "/completions", true),
    EMBEDDINGS("embeddings", "/embeddings", true),
    MODELS("models", "/models", true),
    OTHER("other", null, false);

    private final String id;
    private final String path;
    private final boolean cached;

    Endpoint(String id, String path, boolean cached) {
        this.id = id;
        this.path = path;
        this.cached = cached;
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
        return this == CHAT_COMPLETIONS || this == COMPLETIONS;
    }
}
