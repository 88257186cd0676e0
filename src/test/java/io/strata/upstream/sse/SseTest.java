package io.strata.upstream.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

class SseTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String STREAM = ""
            + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m-1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n"
            + ": keep-alive\n\n"
            + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}],\"usage\":null}\r\n\r\n"
            + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\",\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"ci\"}}]},\"finish_reason\":null}],\"usage\":null}\n\n"
            + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m-1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"ty\\\":\\\"Paris\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}],\"usage\":null}\n\n"
            + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m-1\",\"choices\": [ ],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3,\"total_tokens\":8}}\n\n"
            + "data: [DONE]\n\n";

    @Test
    void splitsEventsWhateverTheNetworkChunkingAndKeepsTheirBytes() {
        byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
        for (int piece : new int[]{1, 3, 7, 64, bytes.length}) {
            SseSplitter splitter = new SseSplitter();
            List<SseEvent> events = new ArrayList<>();
            for (int i = 0; i < bytes.length; i += piece) {
                byte[] part = java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + piece));
                events.addAll(splitter.feed(part));
            }
            assertEquals(7, events.size(), "piece " + piece);
            assertEquals(List.of(SseEvent.Kind.CHUNK, SseEvent.Kind.OTHER, SseEvent.Kind.CHUNK, SseEvent.Kind.CHUNK,
                    SseEvent.Kind.CHUNK, SseEvent.Kind.USAGE, SseEvent.Kind.DONE), events.stream().map(SseEvent::kind).toList());
            StringBuilder joined = new StringBuilder();
            events.forEach(e -> joined.append(new String(e.raw(), StandardCharsets.UTF_8)));
            assertEquals(STREAM, joined.toString(), "relayed bytes are the provider's");
            assertFalse(splitter.hasPartialEvent());
        }
    }

    @Test
    void assemblesContentToolCallsFinishReasonAndUsage() throws Exception {
        CompletionAssembler assembler = assemble(STREAM);
        assertTrue(assembler.complete());
        JsonNode answer = assembler.assemble();
        assertEquals("chat.completion", answer.get("object").asText());
        assertEquals("c1", answer.get("id").asText());
        assertEquals("m-1", answer.get("model").asText());
        JsonNode message = answer.at("/choices/0/message");
        assertEquals("Hello", message.get("content").asText());
        assertEquals("call_1", message.at("/tool_calls/0/id").asText());
        assertEquals("get_weather", message.at("/tool_calls/0/function/name").asText());
        assertEquals("{\"city\":\"Paris\"}", message.at("/tool_calls/0/function/arguments").asText());
        assertEquals("tool_calls", answer.at("/choices/0/finish_reason").asText());
        assertEquals(8, answer.at("/usage/total_tokens").asInt());
    }

    @Test
    void aStreamWithoutDoneIsNotComplete() {
        CompletionAssembler assembler = assemble(STREAM.substring(0, STREAM.indexOf("data: [DONE]")));
        assertFalse(assembler.complete());
    }

    @Test
    void synthesisedChunksAssembleIntoTheSameMessage() throws Exception {
        ObjectNode completion = (ObjectNode) assemble(STREAM).assemble();
        ((ObjectNode) completion.get("choices").get(0).get("message")).put("reasoning_content", "thinking");
        List<SseEvent> chunks = new ChunkSynthesizer(JSON).chunks(completion, true, true);
        StringBuilder stream = new StringBuilder();
        chunks.forEach(e -> stream.append(new String(e.raw(), StandardCharsets.UTF_8)));
        JsonNode again = assemble(stream.toString()).assemble();
        assertEquals(completion, again);
        assertEquals(SseEvent.Kind.USAGE, chunks.get(chunks.size() - 2).kind());

        List<SseEvent> withoutUsage = new ChunkSynthesizer(JSON).chunks(completion, true, false);
        assertTrue(withoutUsage.stream().noneMatch(e -> e.kind() == SseEvent.Kind.USAGE));
    }

    @Test
    void legacyCompletionsRoundTrip() throws Exception {
        JsonNode completion = JSON.readTree("{\"id\":\"x\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"text\":\"hi there\",\"logprobs\":null,\"finish_reason\":\"length\"}],"
                + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}");
        StringBuilder stream = new StringBuilder();
        new ChunkSynthesizer(JSON).chunks(completion, false, true).forEach(e -> stream.append(new String(e.raw(), StandardCharsets.UTF_8)));
        CompletionAssembler assembler = new CompletionAssembler(JSON, false);
        new SseSplitter().feed(stream.toString().getBytes(StandardCharsets.UTF_8)).forEach(assembler::accept);
        assertTrue(assembler.complete());
        assertEquals(completion, assembler.assemble());
    }

    @Test
    void storedEventsKeepKindsAndBytes() {
        List<SseEvent> events = new SseSplitter().feed(STREAM.getBytes(StandardCharsets.UTF_8));
        List<SseEvent> decoded = SseEvents.decode(SseEvents.encode(events));
        assertEquals(events.size(), decoded.size());
        for (int i = 0; i < events.size(); i++) {
            assertEquals(events.get(i).kind(), decoded.get(i).kind());
            assertEquals(new String(events.get(i).raw(), StandardCharsets.UTF_8), new String(decoded.get(i).raw(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void includeUsageIsInsertedWithoutTouchingTheOtherBytes() throws Exception {
        String body = "{ \"model\" : \"m\",\"stream\":true,\"temperature\":0.50 }";
        byte[] out = StreamOptions.withIncludeUsage(body.getBytes(StandardCharsets.UTF_8), JSON.readTree(body), JSON);
        assertEquals("{\"stream_options\":{\"include_usage\":true}, \"model\" : \"m\",\"stream\":true,\"temperature\":0.50 }",
                new String(out, StandardCharsets.UTF_8));

        String asked = "{\"model\":\"m\",\"stream_options\":{\"include_usage\":true}}";
        assertEquals(asked, new String(StreamOptions.withIncludeUsage(asked.getBytes(StandardCharsets.UTF_8), JSON.readTree(asked), JSON),
                StandardCharsets.UTF_8));

        String other = "{\"model\":\"m\",\"stream_options\":{\"include_obfuscation\":false}}";
        JsonNode rewritten = JSON
                .readTree(StreamOptions.withIncludeUsage(other.getBytes(StandardCharsets.UTF_8), JSON.readTree(other), JSON));
        assertTrue(rewritten.at("/stream_options/include_usage").asBoolean());
        assertFalse(rewritten.at("/stream_options/include_obfuscation").asBoolean());
    }

    private static CompletionAssembler assemble(String stream) {
        CompletionAssembler assembler = new CompletionAssembler(JSON, true);
        new SseSplitter().feed(stream.getBytes(StandardCharsets.UTF_8)).forEach(assembler::accept);
        return assembler;
    }
}
