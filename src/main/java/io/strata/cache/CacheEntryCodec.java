package io.strata.cache;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Binary form of an entry in Redis: a version byte, three timestamps, two token counts, the key parts, model
 * version as length-prefixed UTF-8, then the body and the stored stream events (empty when none). No reflection, so it works the same in native.
 */
final class CacheEntryCodec {

    private static final byte FORMAT_VERSION = 3;

    private CacheEntryCodec() {
    }

    static byte[] encode(CacheEntry entry) {
        byte[] scope = utf8(entry.key().scope());
        byte[] namespace = utf8(entry.key().namespace());
        byte[] endpoint = utf8(entry.key().endpoint());
        byte[] model = utf8(entry.modelVersion() == null ? "" : entry.modelVersion());
        byte[] events = entry.events() == null ? new byte[0] : entry.events();
        ByteBuffer out = ByteBuffer.allocate(1 + 3 * Long.BYTES + 8 * Integer.BYTES
                + scope.length + namespace.length + endpoint.length + model.length + entry.body().length + events.length);
        out.put(FORMAT_VERSION)
                .putLong(entry.createdAtMillis())
                .putLong(entry.expiresAtMillis())
                .putLong(entry.staleUntilMillis())
                .putInt(entry.promptTokens())
                .putInt(entry.completionTokens());
        putBytes(out, scope);
        putBytes(out, namespace);
        putBytes(out, endpoint);
        putBytes(out, model);
        putBytes(out, entry.body());
        putBytes(out, events);
        return out.array();
    }

    /** Decodes an entry, or answers null for bytes in a format this version does not read. */
    static CacheEntry decode(String hexKey, byte[] bytes) {
        if (bytes == null || bytes.length == 0 || bytes[0] != FORMAT_VERSION) {
            return null;
        }
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
            long created = in.getLong();
            long expires = in.getLong();
            long staleUntil = in.getLong();
            int promptTokens = in.getInt();
            int completionTokens = in.getInt();
            String scope = getString(in);
            String namespace = getString(in);
            String endpoint = getString(in);
            String model = getString(in);
            byte[] body = getBytes(in);
            byte[] events = getBytes(in);
            return new CacheEntry(new CacheKey(hexKey, scope, namespace, endpoint), body, created, expires, staleUntil,
                    model.isEmpty() ? null : model, promptTokens, completionTokens, events.length == 0 ? null : events);
        } catch (RuntimeException malformed) {
            return null;
        }
    }

    private static byte[] utf8(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    private static void putBytes(ByteBuffer out, byte[] value) {
        out.putInt(value.length).put(value);
    }

    private static byte[] getBytes(ByteBuffer in) {
        byte[] value = new byte[in.getInt()];
        in.get(value);
        return value;
    }

    private static String getString(ByteBuffer in) {
        return new String(getBytes(in), StandardCharsets.UTF_8);
    }
}
