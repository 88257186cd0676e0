package io.strata.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import io.strata.upstream.sse.SseEvent;
import io.strata.upstream.sse.SseSplitter;
import io.strata.upstream.sse.StreamAssembler;
import io.strata.upstream.sse.StreamFormat;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;

/** The built-in mock provider: Responses API plain and streamed, tool calls then answers, structured outputs that validate. */
class MockUpstreamTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MockUpstream MOCK = new MockUpstream(JSON, Duration.ZERO, Duration.ZERO);

    private static final String WEATHER_PARAMETERS = """
            {"type":"object","properties":{"city":{"type":"string","minLength":2},"days":{"type":"integer","minimum":1,"maximum":7},
             "unit":{"type":"string","enum":["celsius","fahrenheit"]},"when":{"type":"string","format":"date"},
             "hourly":{"type":["boolean","null"]}},"required":["city","days","unit","when","hourly"],"additionalProperties":false}""";

    private static final String PERSON_SCHEMA = """
            {"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0},
             "tags":{"type":"array","items":{"type":"string"},"minItems":2},"address":{"$ref":"#/$defs/address"},
             "score":{"anyOf":[{"type":"number","exclusiveMinimum":0.5},{"type":"null"}]}},
             "required":["name","age","tags","address","score"],"additionalProperties":false,
             "$defs":{"address":{"type":"object","properties":{"street":{"type":"string"},"zip":{"type":"string","maxLength":5}},
              "required":["street","zip"],"additionalProperties":false}}}""";

    private static UpstreamResponse send(String path, String body) {
        return MOCK.send(new UpstreamRequest(HttpMethod.POST, path, MultiMap.caseInsensitiveMultiMap(), Buffer.buffer(body), 0, false))
                .await().indefinitely();
    }

    private static JsonNode whole(String path, String body) throws Exception {
        UpstreamResponse response = send(path, body);
        assertEquals(200, response.status());
        return JSON.readTree(response.body().getBytes());
    }

    private static JsonNode assembled(String path, String body, StreamFormat format) {
        UpstreamResponse response = send(path, body);
        assertTrue(response.isStreaming());
        SseSplitter splitter = new SseSplitter();
        StreamAssembler assembler = format.assembler(JSON);
        List<byte[]> chunks = response.stream().map(Buffer::getBytes).collect().asList().await().indefinitely();
        for (byte[] chunk : chunks) {
            for (SseEvent event : splitter.feed(chunk)) {
                assembler.accept(event);
            }
        }
        assertTrue(assembler.complete(), "the stream ends properly");
        return assembler.assemble();
    }

    private static List<String> errors(String schema, String instance) throws Exception {
        List<Error> errors = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema)
                .validate(JSON.readTree(instance));
        return errors.stream().map(Error::toString).toList();
    }

    private static void assertValid(String schema, String instance) throws Exception {
        assertEquals(List.of(), errors(schema, instance), instance);
    }

    @Test
    void responsesAnswerPlainAndStreamedWithTheSameOutputAndUsage() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"instructions\":\"Be brief.\",\"input\":\"Hello there\"}";
        JsonNode plain = whole("/responses", body);
        assertEquals("response", plain.path("object").asText());
        assertEquals("completed", plain.path("status").asText());
        String text = plain.at("/output/0/content/0/text").asText();
        assertTrue(text.startsWith("Mock answer ") && text.endsWith("Hello there"), text);
        assertEquals(plain.at("/usage/input_tokens").asInt() + plain.at("/usage/output_tokens").asInt(),
                plain.at("/usage/total_tokens").asInt());

        UpstreamResponse stream = send("/responses", body.replace("{", "{\"stream\":true,"));
        String raw = String.join("",
                stream.stream().map(b -> b.toString(StandardCharsets.UTF_8)).collect().asList().await().indefinitely());
        assertTrue(raw.startsWith("event: response.created\n"), raw);
        assertTrue(raw.split("event: response.output_text.delta\n").length > 3, "the text arrives word by word");
        JsonNode streamed = assembled("/responses", body.replace("{", "{\"stream\":true,"), StreamFormat.RESPONSES);
        assertEquals(plain.get("output"), streamed.get("output"));
        assertEquals(plain.get("usage"), streamed.get("usage"));
    }

    @Test
    void chatCallsTheToolWithValidArgumentsThenAnswersWithItsResult() throws Exception {
        String tools = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"weather\",\"parameters\":" + WEATHER_PARAMETERS + "}}]";
        String ask = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]," + tools + "}";
        JsonNode call = whole("/chat/completions", ask);
        assertEquals("tool_calls", call.at("/choices/0/finish_reason").asText());
        JsonNode toolCall = call.at("/choices/0/message/tool_calls/0");
        assertEquals("weather", toolCall.at("/function/name").asText());
        assertValid(WEATHER_PARAMETERS, toolCall.at("/function/arguments").asText());
        assertEquals(toolCall, whole("/chat/completions", ask).at("/choices/0/message/tool_calls/0"), "deterministic");

        JsonNode streamed = assembled("/chat/completions", ask.replace("{\"model\"", "{\"stream\":true,\"model\""),
                StreamFormat.CHAT_COMPLETIONS);
        assertEquals(toolCall, streamed.at("/choices/0/message/tool_calls/0"));
        assertEquals("tool_calls", streamed.at("/choices/0/finish_reason").asText());

        String withResult = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[" + toolCall + "]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"" + toolCall.get("id").asText() + "\",\"content\":\"sunny, 21 C\"}]," + tools
                + "}";
        JsonNode answer = whole("/chat/completions", withResult);
        assertEquals("stop", answer.at("/choices/0/finish_reason").asText());
        assertTrue(answer.at("/choices/0/message/content").asText().contains("sunny, 21 C"), answer.toString());

        JsonNode none = whole("/chat/completions", ask.replace("]}", "],\"tool_choice\":\"none\"}"));
        assertEquals("stop", none.at("/choices/0/finish_reason").asText(), "tool_choice none answers text");
    }

    @Test
    void responsesCallTheFunctionThenAnswerWithItsOutput() throws Exception {
        String tools = "\"tools\":[{\"type\":\"function\",\"name\":\"other\",\"parameters\":{\"type\":\"object\",\"properties\":{}}},"
                + "{\"type\":\"function\",\"name\":\"weather\",\"parameters\":" + WEATHER_PARAMETERS + "}]";
        String ask = "{\"model\":\"m\",\"input\":\"Weather in Paris?\"," + tools
                + ",\"tool_choice\":{\"type\":\"function\",\"name\":\"weather\"}}";
        JsonNode call = whole("/responses", ask);
        JsonNode item = call.at("/output/0");
        assertEquals("function_call", item.path("type").asText());
        assertEquals("weather", item.path("name").asText(), "the named tool");
        assertValid(WEATHER_PARAMETERS, item.path("arguments").asText());
        JsonNode streamed = assembled("/responses", ask.replace("{\"model\"", "{\"stream\":true,\"model\""), StreamFormat.RESPONSES);
        assertEquals(item, streamed.at("/output/0"));

        String withOutput = "{\"model\":\"m\",\"previous_response_id\":\"" + call.get("id").asText() + "\",\"input\":[{\"type\":"
                + "\"function_call_output\",\"call_id\":\"" + item.get("call_id").asText() + "\",\"output\":\"sunny, 21 C\"}]," + tools
                + "}";
        JsonNode answer = whole("/responses", withOutput);
        assertEquals("message", answer.at("/output/0/type").asText());
        assertTrue(answer.at("/output/0/content/0/text").asText().contains("sunny, 21 C"));
    }

    @Test
    void structuredOutputsValidateAgainstTheirSchema() throws Exception {
        assertTrue(errors(PERSON_SCHEMA, "{\"name\":\"x\",\"age\":-1}").size() >= 2, "the validator does reject");
        JsonNode chat = whole("/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Who?\"}],"
                + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"person\",\"strict\":true,\"schema\":"
                + PERSON_SCHEMA + "}}}");
        assertValid(PERSON_SCHEMA, chat.at("/choices/0/message/content").asText());

        JsonNode responses = whole("/responses", "{\"model\":\"m\",\"input\":\"Who?\",\"text\":{\"format\":{\"type\":\"json_schema\","
                + "\"name\":\"person\",\"strict\":true,\"schema\":" + PERSON_SCHEMA + "}}}");
        assertValid(PERSON_SCHEMA, responses.at("/output/0/content/0/text").asText());

        JsonNode object = whole("/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Who?\"}],"
                + "\"response_format\":{\"type\":\"json_object\"}}");
        assertTrue(JSON.readTree(object.at("/choices/0/message/content").asText()).isObject());
    }
}
