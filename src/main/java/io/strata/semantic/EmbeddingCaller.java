package io.strata.semantic;

import io.vertx.core.MultiMap;

/** The request an embedding is made for: its cache scope, and its headers (the provider embedder forwards its key). */
public record EmbeddingCaller(String scope, MultiMap headers) {
}
