package io.strata.history;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;

/**
 * A position in the list of sessions, most recently active first: the (last activity, session id)
 * of the last session returned. Opaque to clients (base64url), like {@link Cursor}.
 */
public record SessionCursor(OffsetDateTime lastActivity, String sessionId) {

    static final SessionCursor END = new SessionCursor(OffsetDateTime.of(9999, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC), "");

    public String encode() {
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, lastActivity.toInstant());
        return Base64.getUrlEncoder().withoutPadding().encodeToString((micros + ":" + sessionId).getBytes(StandardCharsets.UTF_8));
    }

    /** @throws IllegalArgumentException for a cursor this service did not make */
    public static SessionCursor decode(String encoded) {
        String text = new String(Base64.getUrlDecoder().decode(encoded), StandardCharsets.UTF_8);
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("not a session cursor");
        }
        long micros = Long.parseLong(text.substring(0, colon));
        Instant instant = Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
        return new SessionCursor(OffsetDateTime.ofInstant(instant, ZoneOffset.UTC), text.substring(colon + 1));
    }
}
