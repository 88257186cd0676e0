package io.strata.upstream.sse;

import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * How one endpoint streams its answers: what assembles a stream into the whole answer, what
 * synthesises a stream from a whole answer, how a broken stream's last event says so, and whether
 * the provider must be asked for the usage chunk (the Responses API always sends its usage).
 */
public enum StreamFormat {

    /** {@code chat.completion.chunk} deltas, {@code data: [DONE]} at the end. */
    CHAT_COMPLETIONS,
    /** {@code text_completion} chunks, {@code data: [DONE]} at the end. */
    COMPLETIONS,
    /** Named {@code response.*} events ending with {@code response.completed} (or incomplete, failed). */
    RESPONSES;

    public StreamAssembler assembler(ObjectMapper json) {
        return this == RESPONSES ? new ResponseAssembler(json) : new CompletionAssembler(json, this == CHAT_COMPLETIONS);
    }

    public List<SseEvent> synthesize(ObjectMapper json, JsonNode answer, boolean includeUsage) {
        return this == RESPONSES
                ? new ResponseEventSynthesizer(json).events(answer)
                : new ChunkSynthesizer(json).chunks(answer, this == CHAT_COMPLETIONS, includeUsage);
    }

    /** Whether a streamed call asks for {@code stream_options.include_usage}, so the stored entry has its usage. */
    public boolean requestsUsage() {
        return this != RESPONSES;
    }

    /**
     * The event that ends a stream which broke after its first byte: an OpenAI error body as data
     * for completions, an {@code error} event for the Responses API.
     *
     * @param errorBody the OpenAI-shaped error body ({@code {"error":{…}}})
     * @param sequence  the sequence number of the next event (Responses API only)
     */
    public byte[] errorEvent(byte[] errorBody, String message, String code, String param, int sequence) {
        if (this != RESPONSES) {
            return ("data: " + new String(errorBody, StandardCharsets.UTF_8) + "\n\n").getBytes(StandardCharsets.UTF_8);
        }
        String data = "{\"type\":\"error\",\"code\":" + quoted(code) + ",\"message\":" + quoted(message) + ",\"param\":" + quoted(param)
                + ",\"sequence_number\":" + sequence + "}";
        return ("event: error\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    private static String quoted(String value) {
        return value == null ? "null" : "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(value)) + "\"";
    }
}
