package io.strata.upstream.sse;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored form of a streamed answer: every event's kind and exact bytes, so a streamed hit
 * replays what the provider sent and can leave out the usage chunk for clients that did not ask.
 */
public final class SseEvents {

    private SseEvents() {
    }

    public static byte[] encode(List<SseEvent> events) {
        int size = Integer.BYTES;
        for (SseEvent event : events) {
            size += 1 + Integer.BYTES + event.raw().length;
        }
        ByteBuffer out = ByteBuffer.allocate(size).putInt(events.size());
        for (SseEvent event : events) {
            out.put((byte) event.kind().ordinal()).putInt(event.raw().length).put(event.raw());
        }
        return out.array();
    }

    /** The events, with their data left unparsed (replay needs only bytes and kinds). */
    public static List<SseEvent> decode(byte[] stored) {
        ByteBuffer in = ByteBuffer.wrap(stored);
        int count = in.getInt();
        List<SseEvent> events = new ArrayList<>(count);
        SseEvent.Kind[] kinds = SseEvent.Kind.values();
        for (int i = 0; i < count; i++) {
            SseEvent.Kind kind = kinds[in.get()];
            byte[] raw = new byte[in.getInt()];
            in.get(raw);
            events.add(new SseEvent(raw, null, kind));
        }
        return events;
    }
}
