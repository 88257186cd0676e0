package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.strata.testing.Provider;
import io.strata.testing.Sse;
import io.strata.testing.StrataTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** History of /v1/responses: one record per request, its prompt and usage in that API's terms, and X-Session-Continue. */
@QuarkusTest
class ResponsesHistoryTest extends StrataTest {

    @TestHTTPResource("/v1/responses")
    URI responsesUrl;

    private static JsonPath record(String requestId) {
        await().atMost(Duration.ofSeconds(30)).until(() -> given().header("Authorization", "Bearer sk-test-a")
                .get("/v1/history/records/" + requestId).statusCode() == 200);
        return given().header("Authorization", "Bearer sk-test-a").get("/v1/history/records/" + requestId).jsonPath();
    }

    @Test
    void eachRequestHasARecordWithInstructionsAndInputAsPromptAndTheResponseObject() {
        String prompt = uniquePrompt();
        Response miss = ResponsesCacheTest.respond(ResponsesCacheTest.body(prompt));
        awaitInL1(miss.header("X-Cache-Key"));
        Response hit = ResponsesCacheTest.respond(ResponsesCacheTest.body(prompt));
        Sse.Reply streamedHit = Sse.post(responsesUrl, ResponsesCacheTest.streamed(prompt), Map.of());

        JsonPath missRecord = record(miss.header("X-Request-Id"));
        assertEquals("responses", missRecord.getString("endpoint"));
        assertEquals(List.of(Map.of("role", "system", "content", "Be brief."), Map.of("role", "user", "content", prompt)),
                missRecord.getList("prompt"));
        assertEquals("answer #1", missRecord.getString("response.output[0].content[0].text"));
        assertEquals("response", missRecord.getString("response.object"));
        assertEquals("gpt-test", missRecord.getString("model_requested"));
        assertEquals("gpt-test-2024-08-06", missRecord.getString("model_version"));
        assertEquals(11, missRecord.getInt("metadata.input_tokens"));
        assertEquals(7, missRecord.getInt("metadata.output_tokens"));
        assertNull(missRecord.get("metadata.prompt_tokens"), "the Responses API's own usage names");
        assertEquals("MISS", missRecord.getString("metadata.cache_status"));
        assertEquals(200, missRecord.getInt("metadata.upstream_status"));
        assertNull(missRecord.get("parameters.instructions"), "instructions are part of the prompt");

        JsonPath hitRecord = record(hit.header("X-Request-Id"));
        assertEquals("HIT-L1", hitRecord.getString("metadata.cache_status"));
        assertEquals(11, hitRecord.getInt("metadata.input_tokens"));
        JsonPath streamRecord = record(streamedHit.header("X-Request-Id"));
        assertEquals("HIT-L1", streamRecord.getString("metadata.cache_status"));
        assertEquals("answer #1", streamRecord.getString("response.output[0].content[0].text"));
    }

    @Test
    void aStreamedMissIsRecordedWithTheAssembledResponse() {
        Sse.Reply miss = Sse.post(responsesUrl, ResponsesCacheTest.streamed(uniquePrompt()), Map.of());
        JsonPath record = record(miss.header("X-Request-Id"));
        assertEquals("MISS", record.getString("metadata.cache_status"));
        assertEquals("completed", record.getString("response.status"));
        assertEquals("answer #1", record.getString("response.output[0].content[0].text"));
        assertEquals(18, record.getInt("response.usage.total_tokens"));
        assertEquals(7, record.getInt("metadata.output_tokens"));
    }

    @Test
    void sessionContinuePlacesTheStoredTurnsBeforeTheInput() {
        String session = "s-" + UUID.randomUUID();
        String first = "My name is Ada. " + UUID.randomUUID();
        Response one = ResponsesCacheTest.respond("{\"model\":\"gpt-test\",\"input\":\"" + first + "\"}", Map.of("X-Session-Id", session));
        one.then().statusCode(200);
        String second = "What is my name? " + UUID.randomUUID();
        Response two = ResponsesCacheTest.respond("{\"model\":\"gpt-test\",\"instructions\":\"Be brief.\",\"input\":[{\"role\":\"user\","
                + "\"content\":[{\"type\":\"input_text\",\"text\":\"" + second + "\"}]}]}",
                Map.of("X-Session-Id", session, "X-Session-Continue", "true"));
        two.then().statusCode(200);

        JsonObject sent = Provider.requests().get(1).json();
        JsonArray input = sent.getJsonArray("input");
        assertEquals(3, input.size());
        assertEquals(new JsonObject().put("role", "user").put("content", first), input.getJsonObject(0));
        assertEquals(new JsonObject().put("role", "assistant").put("content", "answer #1"), input.getJsonObject(1));
        assertEquals(second, input.getJsonObject(2).getJsonArray("content").getJsonObject(0).getString("text"));
        assertEquals("Be brief.", sent.getString("instructions"));

        JsonPath record = record(two.header("X-Request-Id"));
        assertEquals(2, record.getList("prompt").size(), "instructions and the input as received");
        assertEquals(4, record.getList("prompt_sent").size(), "instructions and the input as sent");

        Response both = ResponsesCacheTest.respond("{\"model\":\"gpt-test\",\"previous_response_id\":\"resp_1\",\"input\":\"x\"}",
                Map.of("X-Session-Id", session, "X-Session-Continue", "true"));
        assertEquals(400, both.statusCode());
        assertEquals("X-Session-Continue", both.jsonPath().getString("error.param"));
    }
}
