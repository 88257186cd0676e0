package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URL;
import java.time.Duration;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;

/** The official OpenAI Java SDK through /v1/responses: plain and streamed, miss and hit, the same text each way. */
@QuarkusTest
class OpenAiResponsesSdkTest extends StrataTest {

    @TestHTTPResource("/v1")
    URL baseUrl;

    private OpenAIClient client;

    @BeforeEach
    void buildClient() {
        client = OpenAIOkHttpClient.builder().baseUrl(baseUrl.toString()).apiKey("sk-test-a").maxRetries(0).build();
    }

    /** What a streamed call gave the SDK: its headers, the text its typed deltas spell, the response it assembled. */
    private record Streamed(String cacheStatus, String requestId, String deltas, Response response) {
    }

    private Streamed stream(ResponseCreateParams params) {
        HttpResponseFor<StreamResponse<ResponseStreamEvent>> raw = client.responses().withRawResponse().createStreaming(params);
        ResponseAccumulator accumulator = ResponseAccumulator.create();
        StringBuilder deltas = new StringBuilder();
        try (StreamResponse<ResponseStreamEvent> events = raw.parse()) {
            events.stream().forEach(event -> {
                event.validate(); // every event has the fields the SDK requires of its type
                event.outputTextDelta().ifPresent(delta -> deltas.append(delta.delta()));
                accumulator.accumulate(event);
            });
        }
        Response response = accumulator.response();
        response.validate();
        return new Streamed(raw.headers().values("X-Cache-Status").get(0), raw.headers().values("X-Request-Id").get(0),
                deltas.toString(), response);
    }

    private static String text(Response response) {
        return response.output().get(0).asMessage().content().get(0).asOutputText().text();
    }

    private static JsonPath record(String requestId) {
        await().atMost(Duration.ofSeconds(30)).until(() -> given().header("Authorization", "Bearer sk-test-a")
                .get("/v1/history/records/" + requestId).statusCode() == 200);
        return given().header("Authorization", "Bearer sk-test-a").get("/v1/history/records/" + requestId).jsonPath();
    }

    @Test
    void plainMissThenPlainAndStreamedHitsGiveTheSameResponse() {
        ResponseCreateParams params = ResponseCreateParams.builder().model("gpt-test").instructions("Be brief.").input(uniquePrompt())
                .build();

        HttpResponseFor<Response> miss = client.responses().withRawResponse().create(params);
        assertEquals("MISS", miss.headers().values("X-Cache-Status").get(0));
        Response first = miss.parse();
        assertEquals("answer #1", text(first));
        assertEquals("gpt-test-2024-08-06", first.model().asString());

        awaitInL1(miss.headers().values("X-Cache-Key").get(0));
        HttpResponseFor<Response> cached = client.responses().withRawResponse().create(params);
        assertEquals("HIT-L1", cached.headers().values("X-Cache-Status").get(0));
        Response hit = cached.parse();
        assertEquals(first.id(), hit.id());
        assertEquals(text(first), text(hit));

        Streamed synthesised = stream(params);
        assertEquals("HIT-L1", synthesised.cacheStatus());
        assertEquals("answer #1", synthesised.deltas(), "the synthesised deltas spell the text");
        assertEquals(first.id(), synthesised.response().id());
        assertEquals(text(first), text(synthesised.response()));
        assertEquals(first.usage().orElseThrow().totalTokens(), synthesised.response().usage().orElseThrow().totalTokens());
        assertEquals(1, Provider.calls());

        assertEquals("MISS", record(miss.headers().values("X-Request-Id").get(0)).getString("metadata.cache_status"));
        assertEquals("HIT-L1", record(cached.headers().values("X-Request-Id").get(0)).getString("metadata.cache_status"));
        JsonPath streamed = record(synthesised.requestId());
        assertEquals("HIT-L1", streamed.getString("metadata.cache_status"));
        assertEquals("answer #1", streamed.getString("response.output[0].content[0].text"));
    }

    @Test
    void streamedMissThenStreamedAndPlainHitsGiveTheSameResponse() {
        ResponseCreateParams params = ResponseCreateParams.builder().model("gpt-test").input(uniquePrompt()).build();

        Streamed miss = stream(params);
        assertEquals("MISS", miss.cacheStatus());
        assertEquals("answer #1", miss.deltas());
        assertEquals("answer #1", text(miss.response()));
        String key = record(miss.requestId()).getString("metadata.cache_status");
        assertEquals("MISS", key);

        await().atMost(Duration.ofSeconds(10)).until(() -> "HIT-L1".equals(client.responses().withRawResponse().create(params)
                .headers().values("X-Cache-Status").get(0)));
        Response plain = client.responses().create(params);
        assertEquals(text(miss.response()), text(plain));
        assertEquals(18, plain.usage().orElseThrow().totalTokens());

        Streamed hit = stream(params);
        assertEquals("HIT-L1", hit.cacheStatus());
        assertEquals(miss.deltas(), hit.deltas());
        assertEquals(miss.response().id(), hit.response().id());
        assertEquals(text(miss.response()), text(hit.response()));
        assertEquals(1, Provider.calls());
        assertEquals("HIT-L1", record(hit.requestId()).getString("metadata.cache_status"));
    }
}
