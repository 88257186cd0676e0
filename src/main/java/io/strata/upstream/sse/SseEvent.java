package io.strata.upstream.sse;

import java.nio.charset.StandardCharsets;

/**
 * One server-sent event as the provider sent it: its raw bytes (relayed unchanged) and what its
 * {@code data} says.
 */
public record SseEvent(byte[] raw, String data, Kind kind) {

    public enum Kind {
        /** A completion chunk with choices. */
        CHUNK,
        /** The chunk that carries only usage ({@code choices: []}), sent when {@code include_usage} is set. */
        USAGE,
        /** {@code data: [DONE]}: the answer is complete. */
        DONE,
        /** {@code data: {"error": …}}: the provider failed mid-stream. */
        ERROR,
        /** A comment or an event without data (keep-alives). */
        OTHER
    }

    public static final SseEvent DONE_EVENT = new SseEvent("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII), "[DONE]", Kind.DONE);

    /** An event carrying this JSON as its data, framed as OpenAI frames them. */
    public static SseEvent ofJson(String json, Kind kind) {
        return new SseEvent(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8), json, kind);
    }

    /** A named event carrying this JSON as its data, framed as the Responses API frames them ({@code event:} then {@code data:}). */
    public static SseEvent named(String name, String json) {
        return new SseEvent(("event: " + name + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8), json, Kind.CHUNK);
    }
}
