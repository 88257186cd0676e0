package io.strata.history;

import java.time.OffsetDateTime;

/** One session as the sessions list shows it: its activity inside the asked window. */
public record SessionSummary(String sessionId, String userId, OffsetDateTime firstActivity, OffsetDateTime lastActivity,
        long records, long cacheHits, long errors, String lastModel) {

    public SessionCursor cursor() {
        return new SessionCursor(lastActivity, sessionId);
    }
}
