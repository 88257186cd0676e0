package io.strata.upstream.sse;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Cuts a byte stream into server-sent events at blank lines, whatever the network chunking, and
 * classifies each by its data. Events keep their exact bytes. Not thread-safe: one per stream.
 */
public final class SseSplitter {

    private static final Pattern EMPTY_CHOICES = Pattern.compile("\"choices\"\\s*:\\s*\\[\\s*]");
    private static final Pattern USAGE_OBJECT = Pattern.compile("\"usage\"\\s*:\\s*\\{");

    private final ByteArrayOutputStream pending = new ByteArrayOutputStream(1024);
    private boolean atLineStart = true;

    /** Feeds bytes; answers the events they complete. */
    public List<SseEvent> feed(byte[] bytes) {
        List<SseEvent> events = new ArrayList<>(2);
        for (byte b : bytes) {
            pending.write(b);
            if (b == '\n') {
                if (atLineStart) { // an empty line ends the event
                    events.add(classify(pending.toByteArray()));
                    pending.reset();
                }
                atLineStart = true;
            } else if (b != '\r') {
                atLineStart = false;
            }
        }
        return events;
    }

    /** Bytes of an event the stream did not finish (a cut stream). */
    public boolean hasPartialEvent() {
        return pending.size() > 0 && !new String(pending.toByteArray(), StandardCharsets.UTF_8).isBlank();
    }

    static SseEvent classify(byte[] raw) {
        StringBuilder data = null;
        for (String line : new String(raw, StandardCharsets.UTF_8).split("\r?\n")) {
            if (line.startsWith("data:")) {
                String value = line.substring(5);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            }
        }
        if (data == null) {
            return new SseEvent(raw, null, SseEvent.Kind.OTHER);
        }
        String value = data.toString().strip();
        SseEvent.Kind kind;
        if (value.equals("[DONE]")) {
            kind = SseEvent.Kind.DONE;
        } else if (value.startsWith("{\"error\"")) {
            kind = SseEvent.Kind.ERROR;
        } else if (EMPTY_CHOICES.matcher(value).find() && USAGE_OBJECT.matcher(value).find()) {
            kind = SseEvent.Kind.USAGE;
        } else {
            kind = SseEvent.Kind.CHUNK;
        }
        return new SseEvent(raw, value, kind);
    }
}
