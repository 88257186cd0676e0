package io.strata.history;

import io.strata.core.StrataException;

/**
 * Text as Postgres can store it. A {@code text} column refuses U+0000, and a lone UTF-16
 * surrogate has no UTF-8 form; a history record must be storable by construction, so ids that
 * come from the client are refused at the edge (400) and every other text value of a record is
 * escaped (U+FFFD in place of what cannot be stored). Bodies are bytes and need neither.
 */
public final class StorableText {

    private static final char REPLACEMENT = '\uFFFD';

    private StorableText() {
    }

    /** The value with what Postgres cannot store replaced by U+FFFD; the same instance when nothing needs it. */
    public static String of(String value) {
        if (value == null || storable(value)) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0) {
                out.append(REPLACEMENT);
            } else if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                out.append(c).append(value.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                out.append(REPLACEMENT);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * An attribution id (X-Session-Id, X-User-Id, the body's {@code user}) as it will be stored and
     * indexed: at most {@code maxLength} characters, no control character, no lone surrogate.
     *
     * @throws StrataException 400 invalid_request naming the header or field
     */
    public static String id(String value, String param, int maxLength) {
        if (value == null) {
            return null;
        }
        if (value.length() > maxLength) {
            throw StrataException.invalidRequest("invalid_request", param,
                    param + " is " + value.length() + " characters long; the limit is " + maxLength + ".");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1));
            if (pair) {
                i++;
            } else if (Character.isISOControl(c) || Character.isSurrogate(c)) {
                throw StrataException.invalidRequest("invalid_request", param,
                        param + " contains a control character or an invalid UTF-16 sequence at index " + i + ".");
            }
        }
        return value;
    }

    private static boolean storable(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0) {
                return false;
            }
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                    i++;
                } else {
                    return false;
                }
            }
        }
        return true;
    }
}
