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
import com.openai.core.ObjectMappers;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseStreamEvent;

/** Responses API events: synthesised from a whole response so the SDKs assemble the same one, and assembled back. */
class ResponseEventsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A response with a reasoning summary, a function call and a message with an annotation, as the provider answers. */
    private static final String RESPONSE = """
            {"id":"resp_1","object":"response","created_at":1700000000,"status":"completed","error":null,"incomplete_details":null,
             "instructions":null,"metadata":{},"model":"gpt-5-2025-08-07","parallel_tool_calls":true,"temperature":1.0,"top_p":1.0,
             "tool_choice":"auto","tools":[],"output":[
              {"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"Thinking about it."},
                                                         {"type":"summary_text","text":"Done."}]},
              {"id":"fc_1","type":"function_call","status":"completed","call_id":"call_1","name":"lookup","arguments":"{\\"q\\":\\"x\\"}"},
              {"id":"msg_1","type":"message","status":"completed","role":"assistant","content":[
                {"type":"output_text","text":"Hello world","logprobs":[],
                 "annotations":[{"type":"url_citation","start_index":0,"end_index":5,"url":"https://example.com","title":"Ex"}]}]}],
             "usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":0},"output_tokens":5,
                      "output_tokens_details":{"reasoning_tokens":2},"total_tokens":15}}""";

    @Test
    void synthesisedEventsAreWhatTheOfficialSdkParsesAndAssemblesIntoTheSameResponse() throws Exception {
        JsonNode whole = JSON.readTree(RESPONSE);
        List<SseEvent> events = new ResponseEventSynthesizer(JSON).events(whole);
        ResponseAccumulator accumulator = ResponseAccumulator.create();
        StringBuilder text = new StringBuilder();
        StringBuilder arguments = new StringBuilder();
        StringBuilder summary = new StringBuilder();
        List<String> names = new ArrayList<>();
        for (SseEvent event : events) {
            String raw = new String(event.raw(), StandardCharsets.UTF_8);
            ResponseStreamEvent parsed = ObjectMappers.jsonMapper().readValue(event.data(), ResponseStreamEvent.class);
            parsed.validate();
            String type = JSON.readTree(event.data()).path("type").asText();
            assertTrue(raw.startsWith("event: " + type + "\ndata: "), raw);
            names.add(type);
            parsed.outputTextDelta().ifPresent(delta -> text.append(delta.delta()));
            parsed.functionCallArgumentsDelta().ifPresent(delta -> arguments.append(delta.delta()));
            parsed.reasoningSummaryTextDelta().ifPresent(delta -> summary.append(delta.delta()).append('|'));
            accumulator.accumulate(parsed);
        }
        assertEquals("response.created", names.get(0));
        assertEquals("response.completed", names.get(names.size() - 1));
        assertTrue(names.contains("response.output_text.annotation.added"));
        assertEquals("Hello world", text.toString());
        assertEquals("{\"q\":\"x\"}", arguments.toString());
        assertEquals("Thinking about it.|Done.|", summary.toString());

        Response assembled = accumulator.response();
        assembled.validate();
        Response expected = ObjectMappers.jsonMapper().readValue(RESPONSE, Response.class);
        assertEquals(expected, assembled);
        assertEquals(15, assembled.usage().orElseThrow().totalTokens());
        assertEquals("lookup", assembled.output().get(1).asFunctionCall().name());
        assertEquals("Done.", assembled.output().get(0).asReasoning().summary().get(1).text());
    }

    @Test
    void assemblingTheEventsGivesTheResponseBackAndABrokenStreamIsNotComplete() throws Exception {
        JsonNode whole = JSON.readTree(RESPONSE);
        StreamAssembler assembler = StreamFormat.RESPONSES.assembler(JSON);
        SseSplitter splitter = new SseSplitter();
        StringBuilder stream = new StringBuilder();
        new ResponseEventSynthesizer(JSON).events(whole).forEach(e -> stream.append(new String(e.raw(), StandardCharsets.UTF_8)));
        splitter.feed(stream.toString().getBytes(StandardCharsets.UTF_8)).forEach(assembler::accept);
        assertTrue(assembler.complete());
        assertEquals(whole, assembler.assemble());

        StreamAssembler cut = StreamFormat.RESPONSES.assembler(JSON);
        String beforeTheEnd = stream.substring(0, stream.indexOf("event: response.completed"));
        new SseSplitter().feed(beforeTheEnd.getBytes(StandardCharsets.UTF_8)).forEach(cut::accept);
        assertFalse(cut.complete(), "no terminal event");

        StreamAssembler failed = StreamFormat.RESPONSES.assembler(JSON);
        new SseSplitter().feed((beforeTheEnd + "event: error\ndata: {\"type\":\"error\",\"code\":\"x\",\"message\":\"m\","
                + "\"param\":null,\"sequence_number\":9}\n\n" + stream.substring(beforeTheEnd.length())).getBytes(StandardCharsets.UTF_8))
                .forEach(failed::accept);
        assertFalse(failed.complete(), "an error event breaks the answer");
    }

    @Test
    void aProviderThatLeavesTheTerminalOutputEmptyIsFilledFromTheDoneItems() throws Exception {
        JsonNode whole = JSON.readTree(RESPONSE);
        StreamAssembler assembler = StreamFormat.RESPONSES.assembler(JSON);
        for (SseEvent event : new ResponseEventSynthesizer(JSON).events(whole)) {
            if (event.data().contains("\"type\":\"response.completed\"")) {
                String emptied = event.data().replace(JSON.writeValueAsString(whole.get("output")), "[]");
                assertFalse(emptied.equals(event.data()));
                assembler.accept(SseEvent.named("response.completed", emptied));
            } else {
                assembler.accept(event);
            }
        }
        assertEquals(whole.get("output"), assembler.assemble().get("output"));
    }
}
