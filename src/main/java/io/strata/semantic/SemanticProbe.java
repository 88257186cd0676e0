package io.strata.semantic;

import io.strata.cache.CacheKey;

/**
 * One request as the semantic layer sees it: the hash of its context, its final user text, the
 * threshold it accepts, and (once computed) the text's vector, kept so that storing the answer
 * needs no second embedding.
 */
public final class SemanticProbe {

    private final String contextKey;
    private final String text;
    private final MeaningGuard.Features features;
    private final double threshold;
    private final EmbeddingCaller caller;
    private final CacheKey exactKey;
    private final String sessionId;
    private final String userId;
    private volatile float[] vector;

    SemanticProbe(String contextKey, String text, double threshold, EmbeddingCaller caller, CacheKey exactKey, String sessionId,
            String userId) {
        this.contextKey = contextKey;
        this.text = text;
        this.features = MeaningGuard.features(text);
        this.threshold = threshold;
        this.caller = caller;
        this.exactKey = exactKey;
        this.sessionId = sessionId;
        this.userId = userId;
    }

    public String contextKey() {
        return contextKey;
    }

    public String text() {
        return text;
    }

    MeaningGuard.Features features() {
        return features;
    }

    public double threshold() {
        return threshold;
    }

    EmbeddingCaller caller() {
        return caller;
    }

    /** The exact key of this request (scope, namespace and endpoint of the candidates it may be served). */
    public CacheKey exactKey() {
        return exactKey;
    }

    String sessionId() {
        return sessionId;
    }

    String userId() {
        return userId;
    }

    float[] vector() {
        return vector;
    }

    void vector(float[] computed) {
        this.vector = computed;
    }
}
