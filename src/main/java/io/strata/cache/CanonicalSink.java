package io.strata.cache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * A growable byte buffer the canonical form is written into as UTF-8, then digested in one call;
 * one per thread is reused, so computing a key allocates no intermediate strings.
 */
final class CanonicalSink {

    private byte[] bytes = new byte[512];
    private int length;

    CanonicalSink reset() {
        length = 0;
        return this;
    }

    void ascii(char c) {
        ensure(1);
        bytes[length++] = (byte) c;
    }

    void ascii(String text) {
        ensure(text.length());
        for (int i = 0; i < text.length(); i++) {
            bytes[length++] = (byte) text.charAt(i);
        }
    }

    void codePoint(int cp) {
        ensure(4);
        if (cp < 0x80) {
            bytes[length++] = (byte) cp;
        } else if (cp < 0x800) {
            bytes[length++] = (byte) (0xC0 | (cp >> 6));
            bytes[length++] = (byte) (0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            bytes[length++] = (byte) (0xE0 | (cp >> 12));
            bytes[length++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            bytes[length++] = (byte) (0x80 | (cp & 0x3F));
        } else {
            bytes[length++] = (byte) (0xF0 | (cp >> 18));
            bytes[length++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
            bytes[length++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            bytes[length++] = (byte) (0x80 | (cp & 0x3F));
        }
    }

    void digestInto(MessageDigest digest) {
        digest.update(bytes, 0, length);
    }

    private void ensure(int more) {
        if (length + more > bytes.length) {
            bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
        }
    }

    @Override
    public String toString() {
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }
}
