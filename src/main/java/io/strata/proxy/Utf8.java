package io.strata.proxy;

/**
 * Strict UTF-8 (RFC 3629): rejects overlong forms (such as {@code C0 AF} for "/"), encoded
 * surrogates and code points past U+10FFFF, which the JSON parser lets through. One pass without
 * allocation; ASCII bytes cost one comparison each.
 */
final class Utf8 {

    private Utf8() {
    }

    /** The offset of the first byte that does not start a valid sequence, or -1 when the bytes are valid UTF-8. */
    static int invalidAt(byte[] bytes) {
        int i = 0;
        int n = bytes.length;
        while (i < n) {
            int c = bytes[i];
            if (c >= 0) {
                i++;
                continue;
            }
            c &= 0xff;
            if (c < 0xC2) {
                return i; // a continuation byte without a lead, or an overlong two-byte form (C0, C1)
            }
            if (c < 0xE0) {
                if (i + 1 >= n || !continuation(bytes[i + 1])) {
                    return i;
                }
                i += 2;
            } else if (c < 0xF0) {
                if (i + 2 >= n || !continuation(bytes[i + 1]) || !continuation(bytes[i + 2])) {
                    return i;
                }
                int second = bytes[i + 1] & 0xff;
                if ((c == 0xE0 && second < 0xA0) || (c == 0xED && second >= 0xA0)) {
                    return i; // overlong three-byte form, or a surrogate
                }
                i += 3;
            } else if (c < 0xF5) {
                if (i + 3 >= n || !continuation(bytes[i + 1]) || !continuation(bytes[i + 2]) || !continuation(bytes[i + 3])) {
                    return i;
                }
                int second = bytes[i + 1] & 0xff;
                if ((c == 0xF0 && second < 0x90) || (c == 0xF4 && second >= 0x90)) {
                    return i; // overlong four-byte form, or past U+10FFFF
                }
                i += 4;
            } else {
                return i;
            }
        }
        return -1;
    }

    private static boolean continuation(byte b) {
        return (b & 0xC0) == 0x80;
    }
}
