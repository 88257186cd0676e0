package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;

import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.strata.testing.Provider;
import io.strata.testing.Sse;
import io.vertx.core.json.JsonObject;

/** /v1/responses through the packaged app: plain and streamed, miss and hit, synthesised events, a cut stream. */
@QuarkusIntegrationTest
class ResponsesIT extends PackagedAppTest {

    private static String text(Response response) {
        return response.output().get(0).asMessage().content().get(0).asOutputText().text();
    }

    @Test
    void plainMissThenPlainAndStreamedHitsThroughTheSdk() {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(uri("/v1").toString()).apiKey("sk-test-a").maxRetries(0).build();
        ResponseCreateParams params = ResponseCreateParams.builder().model("gpt-test").input(uniquePrompt()).build();

        HttpResponseFor<Response> miss = client.responses().withRawResponse().create(params);
        assertEquals("MISS", miss.headers().values("X-Cache-Status").get(0));
        assertEquals("answer #1", text(miss.parse()));
        awaitInL1(miss.headers().values("X-Cache-Key").get(0));

        assertEquals("answer #1", text(client.responses().create(params)));
        HttpResponseFor<StreamResponse<ResponseStreamEvent>> streamed = client.responses().withRawResponse().createStreaming(params);
        assertEquals("HIT-L1", streamed.headers().values("X-Cache-Status").get(0));
        ResponseAccumulator accumulator = ResponseAccumulator.create();
        try (StreamResponse<ResponseStreamEvent> events = streamed.parse()) {
            events.stream().forEach(accumulator::accumulate);
        }
        assertEquals("answer #1", text(accumulator.response()));
        assertEquals(18, accumulator.response().usage().orElseThrow().totalTokens());
        assertEquals(1, Provider.calls());
    }

    @Test
    void aStreamedMissIsRelayedAndReplayedAndACutStreamEndsWithAnErrorEvent() {
        String body = "{\"model\":\"gpt-test\",\"stream\":true,\"input\":\"" + uniquePrompt() + "\"}";
        Sse.Reply miss = Sse.post(uri("/v1/responses"), body, Map.of());
        assertEquals("MISS", miss.header("X-Cache-Status"));
        List<JsonObject> events = miss.chunks();
        assertEquals("response.created", events.get(0).getString("type"));
        assertEquals("response.completed", events.get(events.size() - 1).getString("type"));
        awaitInL1(miss.header("X-Cache-Key"));
        Sse.Reply hit = Sse.post(uri("/v1/responses"), body, Map.of());
        assertEquals("HIT-L1", hit.header("X-Cache-Status"));
        assertEquals(miss.rawBody(), hit.rawBody());

        Provider.script(new JsonObject().put("cutAfter", 3));
        Sse.Reply cut = Sse.post(uri("/v1/responses"), body.replace("gpt-test", "gpt-cut"), Map.of());
        JsonObject last = cut.chunks().get(cut.chunks().size() - 1);
        assertEquals("error", last.getString("type"));
        assertEquals("upstream_bad_response", last.getString("code"));
        assertTrue(cut.rawBody().contains("event: error\n"));
    }
}
