package io.strata.cache;

import java.time.Instant;

/**
 * Which entries an admin invalidation removes: every entry matching all the given criteria
 * (null means "any"); at least one criterion is required.
 *
 * @param modelVersion the model the provider reported, matched exactly
 */
public record InvalidationCriteria(String namespace, String modelVersion, Instant createdBefore) {

    public boolean isEmpty() {
        return namespace == null && modelVersion == null && createdBefore == null;
    }
}
