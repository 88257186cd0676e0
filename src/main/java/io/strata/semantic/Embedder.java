package io.strata.semantic;

import io.smallrye.mutiny.Uni;

/**
 * Turns a text into a unit vector. Implementations never block the caller's thread; a failure or
 * a late answer makes the lookup a plain miss (the caller bounds the wait).
 */
public interface Embedder {

    /** Names the model: part of every context key, so vectors of two models are never compared. */
    String id();

    /** @param caller whose request this is (the provider embedder bills and caches under its scope) */
    Uni<float[]> embed(String text, EmbeddingCaller caller);
}
