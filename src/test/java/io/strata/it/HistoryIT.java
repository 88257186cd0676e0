package io.strata.it;

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

import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.strata.testing.Provider;
import io.strata.testing.Sse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Conversation history written and read by the packaged app: records, scoping, continuation, erasure. */
@QuarkusIntegrationTest
class HistoryIT extends PackagedAppTest {

    private static JsonPath get(String path) {
        return given().header("Authorization", "Bearer sk-test-a").get(path).jsonPath();
    }

    private static void awaitRecords(String session, int count) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            Response page = given().header("Authorization", "Bearer sk-test-a").get("/v1/history/sessions/" + session + "?limit=100");
            return page.statusCode() == 200 && page.jsonPath().getList("data").size() == count;
        });
    }

    @Test
    void everyRequestLeavesOneRecordWithItsCacheOutcomeStreamsAssembled() {
        String session = "s-" + UUID.randomUUID();
        Map<String, String> attribution = Map.of("X-Session-Id", session, "X-User-Id", "user-" + session);
        String body = chatBody(uniquePrompt());
        Response miss = chat(body, attribution);
        awaitInL1(miss.header("X-Cache-Key"));
        Response hit = chat(body, attribution);
        assertEquals("HIT-L1", status(hit));
        Sse.Reply streamed = Sse.post(uri("/v1/chat/completions"), streamBody(uniquePrompt()), attribution);
        awaitRecords(session, 3);

        JsonPath page = get("/v1/history/sessions/" + session);
        assertEquals(List.of(miss.header("X-Request-Id"), hit.header("X-Request-Id"), streamed.header("X-Request-Id")),
                page.getList("data.id"),
                "oldest first, ids are the X-Request-Ids");
        assertEquals("MISS", page.getString("data[0].metadata.cache_status"));
        assertEquals(false, page.getBoolean("data[0].metadata.cache_hit"));
        assertEquals("L1", page.getString("data[1].metadata.cache_level"));
        assertEquals("gpt-test-2024-08-06", page.getString("data[0].model_version"));
        assertEquals(Map.of("temperature", 0.2f), page.getMap("data[0].parameters"));
        assertEquals("user-" + session, page.getString("data[0].user_id"));
        assertEquals(11, page.getInt("data[0].metadata.prompt_tokens"));

        JsonPath stream = get("/v1/history/records/" + streamed.header("X-Request-Id"));
        assertEquals("answer #2", stream.getString("response.choices[0].message.content"), "a stream is recorded assembled");
        assertEquals(18, stream.getInt("response.usage.total_tokens"));
        given().header("Authorization", "Bearer sk-test-a").get("/v1/history/records/" + UUID.randomUUID()).then().statusCode(404);
    }

    @Test
    void oneClientKeyCannotReadAnothersSessionButTheHistoryTokenCan() {
        String session = "s-" + UUID.randomUUID();
        chat(chatBody(uniquePrompt()), Map.of("X-Session-Id", session)).then().statusCode(200);
        awaitRecords(session, 1);
        given().header("Authorization", "Bearer sk-someone-else").get("/v1/history/sessions/" + session).then().statusCode(404);
        given().header("Authorization", "Bearer hist-secret").get("/v1/history/sessions/" + session).then().statusCode(200);
    }

    @Test
    void continuationSendsTheStoredTurnsUpstreamInOrder() {
        String session = "s-" + UUID.randomUUID();
        String first = "My name is Ada " + UUID.randomUUID();
        chat(chatBody(first), Map.of("X-Session-Id", session)).then().statusCode(200);
        String second = "What is my name? " + UUID.randomUUID();
        Response two = chat(chatBody(second), Map.of("X-Session-Id", session, "X-Session-Continue", "true"));
        two.then().statusCode(200);

        JsonArray sent = Provider.requests().get(1).json().getJsonArray("messages");
        assertEquals(3, sent.size());
        assertEquals(new JsonObject().put("role", "user").put("content", first), sent.getJsonObject(0));
        assertEquals("answer #1", sent.getJsonObject(1).getString("content"));
        assertEquals(second, sent.getJsonObject(2).getString("content"));
        awaitRecords(session, 2);
        JsonPath record = get("/v1/history/records/" + two.header("X-Request-Id"));
        assertEquals(1, record.getList("prompt").size(), "the request as received");
        assertEquals(3, record.getList("prompt_sent").size(), "the messages as sent");
    }

    @Test
    void userListIsNewestFirstAndErasureRemovesEverything() {
        String user = "u-" + UUID.randomUUID();
        for (int i = 0; i < 3; i++) {
            chat(chatBody(uniquePrompt()), Map.of("X-User-Id", user)).then().statusCode(200);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/v1/history/users/" + user).getList("data").size() == 3);
        List<String> ids = get("/v1/history/users/" + user).getList("data.id");
        List<String> newestFirst = new ArrayList<>(ids);
        newestFirst.sort(java.util.Comparator.reverseOrder());
        assertEquals(newestFirst, ids);

        Response erased = given().header("Authorization", "Bearer sk-test-a").delete("/v1/history/users/" + user);
        erased.then().statusCode(200);
        assertEquals(3, erased.jsonPath().getInt("records"));
        assertEquals(0, stores.count("SELECT count(*) FROM strata_history WHERE user_id = $1", user));
        assertTrue(get("/v1/history/users/" + user).getList("data").isEmpty());
    }
}
