package io.strata.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

import io.strata.core.StrataException;

/**
 * The path a pass-through request goes to below the provider's base URL: the request's path,
 * percent-decoded once, dot segments resolved (a segment's {@code ;parameters} do not hide a
 * {@code ..}), and encoded again. A path that leaves {@code /v1/} once decoded, or that holds what
 * a server might read as a separator or a terminator (a backslash, a control character, a
 * malformed escape), is refused: it never goes upstream as it came.
 */
final class UpstreamPath {

    private static final String PREFIX = "/v1";

    private UpstreamPath() {
    }

    /**
     * @param rawPath the request's path as sent (not decoded; an absolute-form request line's path part)
     * @return the normalised path below /v1, starting with "/"
     * @throws StrataException 400 invalid_request when the path leaves /v1/ or cannot be read
     */
    static String below(String rawPath) {
        String decoded = decode(rawPath);
        Deque<String> segments = new ArrayDeque<>();
        String[] parts = decoded.split("/", -1);
        if (!decoded.startsWith("/")) {
            throw refused();
        }
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i];
            int parameters = part.indexOf(';');
            String bare = parameters < 0 ? part : part.substring(0, parameters);
            if (bare.equals(".")) {
                continue;
            }
            if (bare.equals("..")) {
                if (segments.isEmpty()) {
                    throw refused();
                }
                segments.removeLast();
                continue;
            }
            if (part.isEmpty() && i < parts.length - 1) {
                continue; // "//" collapses, as servers read it
            }
            segments.addLast(part);
        }
        if (segments.isEmpty() || !segments.peekFirst().equals(PREFIX.substring(1))) {
            throw refused();
        }
        segments.removeFirst();
        StringBuilder out = new StringBuilder();
        for (String segment : segments) {
            out.append('/');
            encode(segment, out);
        }
        return out.length() == 0 ? "/" : out.toString();
    }

    private static String decode(String raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length() || Character.digit(raw.charAt(i + 1), 16) < 0 || Character.digit(raw.charAt(i + 2), 16) < 0) {
                    throw StrataException.invalidRequest("invalid_request", null, "The request path holds a malformed percent escape.");
                }
                bytes.write(Character.digit(raw.charAt(i + 1), 16) * 16 + Character.digit(raw.charAt(i + 2), 16));
                i += 2;
            } else if (c > 0x7f) {
                byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(utf8, 0, utf8.length);
            } else {
                bytes.write(c);
            }
        }
        String decoded = new String(bytes.toByteArray(), StandardCharsets.UTF_8);
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            if (c == '\\' || c == '\uFFFD' || Character.isISOControl(c)) {
                throw StrataException.invalidRequest("invalid_request", null,
                        "The request path holds a backslash, a control character or bytes that are not UTF-8.");
            }
        }
        return decoded;
    }

    /** Percent-encodes everything but RFC 3986 unreserved characters and the sub-delimiters a path keeps. */
    private static void encode(String segment, StringBuilder out) {
        for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._~!$&'()*+,=:@".indexOf(c) >= 0;
            if (plain) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
    }

    private static StrataException refused() {
        return StrataException.invalidRequest("invalid_request", null, "The request path leaves /v1/ once decoded.");
    }
}
