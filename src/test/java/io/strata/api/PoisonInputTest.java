package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.testing.StrataTest;

/**
 * Inputs Postgres cannot store in a text column (NUL, lone surrogates, ids longer than an index
 * row) are escaped or refused at the edge: every such request still gets exactly one record, and
 * history goes on for everyone after them.
 */
@QuarkusTest
class PoisonInputTest extends StrataTest {

    private static final String LONG = "x".repeat(6_000);

    private static String withContent(String jsonText) {
        return "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + jsonText + " " + UUID.randomUUID() + "\"}]}";
    }

    @Test
    void poisonedRequestsAreRecordedAndDoNotStopHistory() {
        List<String> ids = new ArrayList<>();
        List<Response> answers = new ArrayList<>();
        answers.add(chat(withContent("nul \\u0000 in a message")));
        answers.add(chat(withContent("lone surrogate \\ud800 here")));
        answers.add(chat("{\"model\":\"gpt\\u0000test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + UUID.randomUUID() + "\"}]}"));
        answers.add(chat(
                "{\"model\":\"gpt-test\",\"te\\u0000mp\":1,\"messages\":[{\"role\":\"user\",\"content\":\"" + UUID.randomUUID() + "\"}]}"));
        answers.add(chat(
                "{\"model\":\"gpt-test\",\"temperature\":1e200000,\"logit_bias\":{\"50256\":1e-20000},\"messages\":[{\"role\":\"user\",\"content\":\""
                        + UUID.randomUUID() + "\"}]}"));
        Response nulUser = chat("{\"model\":\"gpt-test\",\"user\":\"a\\u0000b\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + UUID.randomUUID() + "\"}]}");
        Response surrogateUser = chat("{\"model\":\"gpt-test\",\"user\":\"\\ud800\",\"messages\":[]}");
        Response longBodyUser = chat("{\"model\":\"gpt-test\",\"user\":\"" + "u".repeat(3_000) + "\",\"messages\":[]}");
        Response longSession = chat(withContent("long session"), Map.of("X-Session-Id", LONG));
        for (Response answer : answers) {
            assertEquals(200, answer.statusCode(), answer.asString());
            ids.add(answer.header("X-Request-Id"));
        }
        for (Response refused : List.of(nulUser, surrogateUser, longBodyUser, longSession)) {
            assertEquals(400, refused.statusCode(), refused.asString());
            assertEquals("invalid_request", refused.jsonPath().getString("error.code"));
            assertTrue(refused.jsonPath().getString("error.param") != null, refused.asString());
            ids.add(refused.header("X-Request-Id"));
        }
        assertEquals("X-Session-Id", longSession.jsonPath().getString("error.param"));
        assertEquals("user", longBodyUser.jsonPath().getString("error.param"));

        // every one of them has its record, and a later request of another tenant is recorded too
        String session = "after-poison-" + UUID.randomUUID();
        Response later = given().header("Authorization", "Bearer sk-test-b").contentType("application/json")
                .header("X-Session-Id", session).body(chatBody(uniquePrompt())).post("/v1/chat/completions");
        later.then().statusCode(200);
        ids.add(later.header("X-Request-Id"));
        for (String id : ids) {
            await("the record of request " + id).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> given()
                    .header("Authorization", "Bearer hist-secret").get("/v1/history/records/" + id).statusCode() == 200);
        }
        String model = given().header("Authorization", "Bearer hist-secret").get("/v1/history/records/" + ids.get(2))
                .jsonPath().getString("model_requested");
        assertEquals("gpt\uFFFDtest", model, "a NUL in a text column is escaped");
    }
}
