package io.strata.semantic;

/** An entry of a candidate set: its exact cache key, its final user text (for the guard) and that text's unit vector. */
public record Candidate(String cacheKey, String text, MeaningGuard.Features features, float[] vector, long createdAtMillis) {

    public static Candidate of(String cacheKey, String text, float[] vector, long createdAtMillis) {
        return new Candidate(cacheKey, text, MeaningGuard.features(text), vector, createdAtMillis);
    }
}
