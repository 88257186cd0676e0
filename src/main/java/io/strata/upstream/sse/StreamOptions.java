package io.strata.upstream.sse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one change Strata makes to a client's body: a streamed call asks for
 * {@code stream_options.include_usage}, so the stored entry has its usage. When the body has no
 * {@code stream_options} the field is inserted after the opening brace and every other byte stays
 * as sent (the provider's own prompt caching keys on the bytes); otherwise the body is rewritten.
 */
public final class StreamOptions {

    private static final byte[] INSERTED = "\"stream_options\":{\"include_usage\":true}".getBytes(StandardCharsets.US_ASCII);

    private StreamOptions() {
    }

    /** Whether the client itself asked for the usage chunk. */
    public static boolean clientWantsUsage(JsonNode body) {
        return body != null && body.path("stream_options").path("include_usage").asBoolean(false);
    }

    public static byte[] withIncludeUsage(byte[] body, JsonNode parsed, ObjectMapper json) {
        if (clientWantsUsage(parsed)) {
            return body;
        }
        if (!parsed.has("stream_options")) {
            int brace = 0;
            while (brace < body.length && body[brace] != '{') {
                brace++;
            }
            int next = brace + 1;
            while (next < body.length && Character.isWhitespace(body[next])) {
                next++;
            }
            boolean empty = next < body.length && body[next] == '}';
            byte[] out = new byte[body.length + INSERTED.length + (empty ? 0 : 1)];
            System.arraycopy(body, 0, out, 0, brace + 1);
            System.arraycopy(INSERTED, 0, out, brace + 1, INSERTED.length);
            int rest = brace + 1 + INSERTED.length;
            if (!empty) {
                out[rest++] = ',';
            }
            System.arraycopy(body, brace + 1, out, rest, body.length - brace - 1);
            return out;
        }
        ObjectNode rewritten = parsed.deepCopy();
        JsonNode options = rewritten.get("stream_options");
        (options.isObject() ? (ObjectNode) options : rewritten.putObject("stream_options")).put("include_usage", true);
        try {
            return json.writeValueAsBytes(rewritten);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
