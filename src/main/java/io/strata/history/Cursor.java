package io.strata.history;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;

/**
 * A position in a list of records: the (timestamp, id) of the last one returned. Keyset
 * pagination on both, so a page never repeats or skips a record while others are inserted.
 * Opaque to clients (base64url).
 */
public record Cursor(OffsetDateTime time, UUID id) {

    static final Cursor START = new Cursor(OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC), new UUID(0, 0));
    static final Cursor END = new Cursor(OffsetDateTime.of(9999, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC), new UUID(-1, -1));

    public String encode() {
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, time.toInstant());
        return Base64.getUrlEncoder().withoutPadding().encodeToString((micros + ":" + id).getBytes(StandardCharsets.UTF_8));
    }

    /** @throws IllegalArgumentException for a cursor this service did not make */
    public static Cursor decode(String encoded) {
        String text = new String(Base64.getUrlDecoder().decode(encoded), StandardCharsets.UTF_8);
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("not a cursor");
        }
        long micros = Long.parseLong(text.substring(0, colon));
        Instant instant = Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
        return new Cursor(OffsetDateTime.ofInstant(instant, ZoneOffset.UTC), UUID.fromString(text.substring(colon + 1)));
    }
}
