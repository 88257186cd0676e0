package io.strata.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** Strict UTF-8: what the JSON parser would let through is refused before it parses. */
class Utf8Test {

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    @Test
    void validTextPasses() {
        assertEquals(-1, Utf8.invalidAt("plain ascii {\"a\":1}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(-1, Utf8.invalidAt("é ü 中文 😀 \u07FF \uFFFD".getBytes(StandardCharsets.UTF_8)));
        assertEquals(-1, Utf8.invalidAt(new byte[0]));
    }

    @Test
    void overlongSurrogateTruncatedAndOutOfRangeAreRefused() {
        assertEquals(1, Utf8.invalidAt(bytes('a', 0xC0, 0xAF)), "overlong '/'");
        assertEquals(0, Utf8.invalidAt(bytes(0xE0, 0x80, 0xAF)), "overlong three-byte '/'");
        assertEquals(0, Utf8.invalidAt(bytes(0xF0, 0x80, 0x80, 0xAF)), "overlong four-byte '/'");
        assertEquals(0, Utf8.invalidAt(bytes(0xED, 0xA0, 0x80)), "an encoded surrogate (CESU-8)");
        assertEquals(0, Utf8.invalidAt(bytes(0xF4, 0x90, 0x80, 0x80)), "past U+10FFFF");
        assertEquals(0, Utf8.invalidAt(bytes(0x80)), "a lone continuation byte");
        assertEquals(1, Utf8.invalidAt(bytes('x', 0xE4, 0xB8)), "truncated");
        assertEquals(0, Utf8.invalidAt(bytes(0xFF)));
    }
}
