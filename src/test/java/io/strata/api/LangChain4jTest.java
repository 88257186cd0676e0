package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.service.AiServices;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.strata.proxy.SingleFlight;
import io.strata.testing.StrataTest;

/**
 * LangChain4j's OpenAI module as a real client of Strata in front of the built-in mock provider:
 * the blocking and streaming chat models, tool calling and structured output through AiServices,
 * each a miss then a hit, each request recorded in history.
 */
@QuarkusTest
@TestProfile(LangChain4jTest.MockProvider.class)
class LangChain4jTest extends StrataTest {

    /** The built-in mock provider instead of the tests' fake: it calls tools and answers schemas. */
    public static class MockProvider implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strata.upstream.base-url", "mock");
        }
    }

    private static final String KEY = "sk-langchain4j";

    @TestHTTPResource("/v1")
    URL baseUrl;

    @Inject
    SingleFlight flights;

    interface Assistant {
        String chat(String message);
    }

    interface Extractor {
        Person extract(String text);
    }

    record Person(String name, int age, List<String> hobbies) {
    }

    static final class Weather {
        final AtomicInteger calls = new AtomicInteger();

        @Tool("The current weather of a city")
        String weather(String city) {
            calls.incrementAndGet();
            return "sunny and 21 C in " + city;
        }
    }

    private OpenAiChatModel chatModel(String session) {
        return OpenAiChatModel.builder().baseUrl(baseUrl.toString()).apiKey(KEY).modelName("gpt-4o-mini")
                .customHeaders(Map.of("X-Session-Id", session)).maxRetries(0).build();
    }

    /** The session's records, oldest first, once there are {@code count} of them. */
    private static List<Map<String, Object>> records(String session, int count) {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            var page = given().header("Authorization", "Bearer " + KEY).get("/v1/history/sessions/" + session + "?limit=100");
            return page.statusCode() == 200 && page.jsonPath().getList("data").size() == count;
        });
        return given().header("Authorization", "Bearer " + KEY).get("/v1/history/sessions/" + session + "?limit=100")
                .jsonPath().getList("data");
    }

    private static List<Object> statuses(List<Map<String, Object>> records) {
        return records.stream().map(r -> ((Map<?, ?>) r.get("metadata")).get("cache_status")).map(Object.class::cast).toList();
    }

    /** Between a miss and its repeat: the flight has landed, so the repeat looks the cache up instead of joining it. */
    private void landed() {
        await().atMost(Duration.ofSeconds(10)).until(() -> flights.inFlight() == 0);
    }

    @Test
    void chatModelMissThenHit() {
        String session = "lc4j-" + UUID.randomUUID();
        OpenAiChatModel model = chatModel(session);
        String question = "What is Strata? " + UUID.randomUUID();
        ChatResponse first = model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
                .messages(dev.langchain4j.data.message.UserMessage.from(question)).build());
        landed();
        ChatResponse second = model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
                .messages(dev.langchain4j.data.message.UserMessage.from(question)).build());
        assertTrue(first.aiMessage().text().startsWith("Mock answer "), first.aiMessage().text());
        assertEquals(first.aiMessage().text(), second.aiMessage().text());
        assertEquals(first.tokenUsage().totalTokenCount(), second.tokenUsage().totalTokenCount());

        List<Map<String, Object>> records = records(session, 2);
        assertEquals(List.of("MISS", "HIT-L1"), statuses(records));
        JsonPath hit = given().header("Authorization", "Bearer " + KEY).get("/v1/history/records/" + records.get(1).get("id")).jsonPath();
        assertEquals(question, hit.getString("prompt[0].content"));
        assertEquals(first.aiMessage().text(), hit.getString("response.choices[0].message.content"));
        assertEquals("gpt-4o-mini", hit.getString("model_version"));
    }

    @Test
    void streamingChatModelMissThenHit() throws Exception {
        String session = "lc4j-" + UUID.randomUUID();
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(baseUrl.toString()).apiKey(KEY)
                .modelName("gpt-4o-mini").customHeaders(Map.of("X-Session-Id", session)).build();
        String question = "Stream me something " + UUID.randomUUID();
        String[] miss = stream(model, question);
        landed();
        String[] hit = stream(model, question);
        assertTrue(miss[0].startsWith("Mock answer "), miss[0]);
        assertEquals(miss[0], miss[1], "the partial tokens spell the complete answer");
        assertEquals(miss[0], hit[0]);
        assertEquals(hit[0], hit[1]);

        List<Map<String, Object>> records = records(session, 2);
        assertEquals(List.of("MISS", "HIT-L1"), statuses(records));
        assertEquals(miss[0], ((Map<?, ?>) ((List<?>) ((Map<?, ?>) records.get(1).get("response")).get("choices")).get(0))
                .get("message") instanceof Map<?, ?> message ? message.get("content") : null);
    }

    /** The partial tokens joined, and the complete response's text. */
    private static String[] stream(OpenAiStreamingChatModel model, String question) throws Exception {
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(question, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String token) {
                partial.append(token);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        return new String[]{done.get(30, TimeUnit.SECONDS).aiMessage().text(), partial.toString()};
    }

    @Test
    void toolCallingThroughAiServicesMissThenHit() {
        String session = "lc4j-" + UUID.randomUUID();
        Weather weather = new Weather();
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(chatModel(session)).tools(weather).build();
        String question = "What is the weather in Paris? " + UUID.randomUUID();

        String first = assistant.chat(question);
        assertTrue(first.contains("sunny and 21 C in "), "the answer uses the tool's result: " + first);
        assertEquals(1, weather.calls.get());
        landed();
        String second = assistant.chat(question);
        assertEquals(first, second);
        assertEquals(2, weather.calls.get(), "the cached tool call is executed by the client again");

        List<Map<String, Object>> records = records(session, 4);
        assertEquals(List.of("MISS", "MISS", "HIT-L1", "HIT-L1"), statuses(records),
                "the tool call and the answer with its result, each a miss then a hit");
        Map<?, ?> call = (Map<?, ?>) ((Map<?, ?>) ((List<?>) ((Map<?, ?>) records.get(0).get("response")).get("choices")).get(0))
                .get("message");
        assertEquals("weather", ((Map<?, ?>) ((Map<?, ?>) ((List<?>) call.get("tool_calls")).get(0)).get("function")).get("name"));
        List<?> sentWithResult = (List<?>) records.get(1).get("prompt");
        assertEquals("tool", ((Map<?, ?>) sentWithResult.get(sentWithResult.size() - 1)).get("role"));
    }

    @Test
    void structuredOutputThroughAiServicesMissThenHit() {
        String session = "lc4j-" + UUID.randomUUID();
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(baseUrl.toString()).apiKey(KEY).modelName("gpt-4o-mini")
                .customHeaders(Map.of("X-Session-Id", session)).supportedCapabilities(Capability.RESPONSE_FORMAT_JSON_SCHEMA)
                .strictJsonSchema(true).maxRetries(0).build();
        Extractor extractor = AiServices.create(Extractor.class, model);
        String text = "Ada is 36 and likes chess. " + UUID.randomUUID();
        Person first = extractor.extract(text);
        assertEquals(1, first.hobbies().size());
        landed();
        assertEquals(first, extractor.extract(text));

        List<Map<String, Object>> records = records(session, 2);
        assertEquals(List.of("MISS", "HIT-L1"), statuses(records));
        Map<?, ?> parameters = (Map<?, ?>) records.get(0).get("parameters");
        assertEquals("json_schema", ((Map<?, ?>) parameters.get("response_format")).get("type"));
    }
}
