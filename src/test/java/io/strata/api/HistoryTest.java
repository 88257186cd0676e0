package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import jakarta.inject.Inject;

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
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/** Conversation history (records, the history API, continuation) against real Postgres. */
@QuarkusTest
class HistoryTest extends StrataTest {

    @Inject
    Pool postgres;

    @TestHTTPResource("/v1/chat/completions")
    URI chatUrl;

    private static Response inSession(String session, String body) {
        return chat(body, Map.of("X-Session-Id", session, "X-User-Id", "user-" + session));
    }

    private static JsonPath sessionPage(String session, String query) {
        return given().header("Authorization", "Bearer sk-test-a").get("/v1/history/sessions/" + session + query).jsonPath();
    }

    private static void awaitRecords(String session, int count) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            Response page = given().header("Authorization", "Bearer sk-test-a").get("/v1/history/sessions/" + session + "?limit=100");
            return page.statusCode() == 200 && page.jsonPath().getList("data").size() == count;
        });
    }

    @Test
    void concurrentRequestsGiveOneRecordEachWithCacheOutcomeModelParametersAndLatency() throws Exception {
        String session = "s-" + UUID.randomUUID();
        List<String> prompts = List.of(uniquePrompt(), uniquePrompt(), uniquePrompt(), uniquePrompt());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Response>> sent = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                String body = chatBody(prompts.get(i % prompts.size()));
                sent.add(pool.submit(() -> inSession(session, body)));
            }
            Map<String, String> statusById = new HashMap<>();
            for (Future<Response> response : sent) {
                Response r = response.get();
                assertEquals(200, r.statusCode());
                statusById.put(r.header("X-Request-Id"), r.header("X-Cache-Status"));
            }
            assertEquals(16, statusById.size(), "every answer has its own X-Request-Id");
            awaitRecords(session, 16);
            List<Map<String, Object>> records = sessionPage(session, "?limit=100").getList("data");
            for (Map<String, Object> record : records) {
                String id = (String) record.get("id");
                assertTrue(statusById.containsKey(id), "record ids are the X-Request-Ids");
                @SuppressWarnings("unchecked")
                Map<String, Object> metadata = (Map<String, Object>) record.get("metadata");
                String status = statusById.get(id);
                assertEquals(status, metadata.get("cache_status"));
                assertEquals(status.startsWith("HIT"), metadata.get("cache_hit"));
                assertEquals(status.equals("HIT-L1") ? "L1" : status.equals("HIT-L2") ? "L2" : "none", metadata.get("cache_level"));
                assertEquals("gpt-test-2024-08-06", record.get("model_version"));
                assertEquals("gpt-test", record.get("model_requested"));
                assertEquals(Map.of("temperature", 0.2f), record.get("parameters"));
                assertTrue(((Number) metadata.get("latency_ms")).intValue() >= 0);
                assertEquals(11, metadata.get("prompt_tokens"));
                assertEquals("user-" + session, record.get("user_id"));
                assertEquals("chat.completions", record.get("endpoint"));
                assertNotNull(record.get("response"));
            }
            assertEquals(4, records.stream().filter(r -> "MISS".equals(((Map<?, ?>) r.get("metadata")).get("cache_status"))).count());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void recordsErrorsStreamsAndOneRecordById() {
        String session = "s-" + UUID.randomUUID();
        Provider.script(Provider.status(500, "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}"),
                Provider.status(500, "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}"),
                Provider.status(500, "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}"));
        Response failed = inSession(session, chatBody(uniquePrompt()));
        assertEquals(500, failed.statusCode());
        Sse.Reply streamed = Sse.post(chatUrl, "{\"model\":\"gpt-test\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\""
                + uniquePrompt() + "\"}]}", Map.of("X-Session-Id", session));
        assertEquals("answer #4", streamed.text());
        awaitRecords(session, 2);

        JsonPath error = given().header("Authorization", "Bearer sk-test-a").get("/v1/history/records/" + failed.header("X-Request-Id"))
                .jsonPath();
        assertEquals(500, error.getInt("metadata.status"));
        assertEquals(500, error.getInt("metadata.upstream_status"));
        assertEquals("boom", error.getString("response.error.message"));

        JsonPath stream = given().header("Authorization", "Bearer sk-test-a").get("/v1/history/records/" + streamed.header("X-Request-Id"))
                .jsonPath();
        assertEquals("answer #4", stream.getString("response.choices[0].message.content"), "a stream is recorded assembled");
        assertEquals(18, stream.getInt("response.usage.total_tokens"));
        assertEquals(Boolean.TRUE, stream.getMap("parameters").get("stream") == null);
        given().header("Authorization", "Bearer sk-test-a").get("/v1/history/records/" + UUID.randomUUID()).then().statusCode(404);
        given().header("Authorization", "Bearer sk-test-a").get("/v1/history/records/nope").then().statusCode(404);
        given().header("Authorization", "Bearer sk-test-a").get("/v1/history/sessions/never-seen").then().statusCode(404);
    }

    @Test
    void paginationIsStableWhileRecordsAreInserted() {
        String session = "s-" + UUID.randomUUID();
        for (int i = 0; i < 9; i++) {
            inSession(session, chatBody(uniquePrompt())).then().statusCode(200);
        }
        awaitRecords(session, 9);
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int extra = 0;
        do {
            JsonPath page = sessionPage(session, "?limit=4" + (cursor == null ? "" : "&cursor=" + cursor));
            seen.addAll(page.getList("data.id"));
            cursor = page.getString("next_cursor");
            assertEquals(cursor != null, page.getBoolean("has_more"));
            if (extra < 3) {
                inSession(session, chatBody(uniquePrompt())).then().statusCode(200); // inserted while paging
                extra++;
            }
            if (cursor == null) {
                await().atMost(Duration.ofSeconds(5)).until(() -> true);
            }
        } while (cursor != null);
        assertEquals(seen.size(), new HashSet<>(seen).size(), "no record twice");
        assertTrue(seen.size() >= 9, "every record that existed when paging began was seen: " + seen.size());
        List<String> sorted = new ArrayList<>(seen);
        sorted.sort(null); // UUID v7 ids sort by time: oldest first
        assertEquals(sorted, seen);
    }

    @Test
    void oneClientKeyCannotReadAnothersSessionButTheHistoryTokenCan() {
        String session = "s-" + UUID.randomUUID();
        inSession(session, chatBody(uniquePrompt())).then().statusCode(200);
        awaitRecords(session, 1);
        given().header("Authorization", "Bearer sk-someone-else").get("/v1/history/sessions/" + session).then().statusCode(404);
        given().header("Authorization", "Bearer sk-someone-else").delete("/v1/history/sessions/" + session).then().statusCode(404);
        given().header("Authorization", "Bearer hist-secret").get("/v1/history/sessions/" + session).then().statusCode(200);
        String id = sessionPage(session, "").getString("data[0].id");
        given().header("Authorization", "Bearer sk-someone-else").get("/v1/history/records/" + id).then().statusCode(404);
        assertEquals(1, given().header("Authorization", "Bearer sk-test-a").get("/v1/history/sessions/" + session).jsonPath()
                .getList("data").size());
    }

    @Test
    void userListIsNewestFirstWithATimeWindowAndErasureRemovesEverything() throws Exception {
        String user = "u-" + UUID.randomUUID();
        for (int i = 0; i < 3; i++) {
            chat(chatBody(uniquePrompt()), Map.of("X-User-Id", user, "X-Session-Id", "s-" + user + "-" + i)).then().statusCode(200);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> given().header("Authorization", "Bearer sk-test-a")
                .get("/v1/history/users/" + user).jsonPath().getList("data").size() == 3);
        List<String> ids = given().header("Authorization", "Bearer sk-test-a").get("/v1/history/users/" + user).jsonPath()
                .getList("data.id");
        List<String> newestFirst = new ArrayList<>(ids);
        newestFirst.sort(java.util.Comparator.reverseOrder());
        assertEquals(newestFirst, ids);
        assertEquals(0, given().header("Authorization", "Bearer sk-test-a")
                .get("/v1/history/users/" + user + "?to=2000-01-01T00:00:00Z").jsonPath().getList("data").size());
        given().header("Authorization", "Bearer sk-test-a").get("/v1/history/users/" + user + "?from=yesterday").then().statusCode(400);

        Response erased = given().header("Authorization", "Bearer sk-test-a").delete("/v1/history/users/" + user);
        erased.then().statusCode(200);
        assertEquals(3, erased.jsonPath().getInt("records"));
        assertEquals(0, postgres.preparedQuery("SELECT count(*) FROM strata_history WHERE user_id = $1").execute(Tuple.of(user))
                .await().indefinitely().iterator().next().getLong(0));
        assertEquals(0,
                given().header("Authorization", "Bearer sk-test-a").get("/v1/history/users/" + user).jsonPath().getList("data").size());
    }

    @Test
    void sessionListIsMostRecentlyActiveFirstScopedFilteredAndPaged() {
        String prefix = "list-" + UUID.randomUUID() + "-";
        inSession(prefix + "a", chatBody(uniquePrompt()));
        inSession(prefix + "b", chatBody(uniquePrompt()));
        inSession(prefix + "c", chatBody(uniquePrompt()));
        inSession(prefix + "a", chatBody(uniquePrompt())); // a is now the most recently active
        given().header("Authorization", "Bearer sk-test-b").header("X-Session-Id", prefix + "other").contentType("application/json")
                .body(chatBody(uniquePrompt())).post("/v1/chat/completions").then().statusCode(200);
        awaitRecords(prefix + "a", 2);
        awaitRecords(prefix + "c", 1);

        JsonPath first = given().header("Authorization", "Bearer sk-test-a")
                .get("/v1/history/sessions?limit=2&session_id=" + prefix).jsonPath();
        assertEquals(List.of(prefix + "a", prefix + "c"), first.getList("data.id"));
        assertEquals(2, first.getInt("data[0].records"));
        assertEquals("user-" + prefix + "a", first.getString("data[0].user_id"));
        assertEquals("gpt-test", first.getString("data[0].last_model_requested"));
        assertEquals("history.session", first.getString("data[0].object"));
        assertTrue(first.getBoolean("has_more"));
        JsonPath second = given().header("Authorization", "Bearer sk-test-a")
                .get("/v1/history/sessions?limit=2&session_id=" + prefix + "&cursor=" + first.getString("next_cursor")).jsonPath();
        assertEquals(List.of(prefix + "b"), second.getList("data.id"), "another scope's session is not listed");
        assertFalse(second.getBoolean("has_more"));

        JsonPath everyScope = given().header("Authorization", "Bearer hist-secret").get("/v1/history/sessions?session_id=" + prefix)
                .jsonPath();
        assertEquals(4, everyScope.getList("data").size());
        JsonPath byUser = given().header("Authorization", "Bearer sk-test-a")
                .get("/v1/history/sessions?user_id=user-" + prefix + "b").jsonPath();
        assertEquals(List.of(prefix + "b"), byUser.getList("data.id"));
        String future = java.time.Instant.now().plusSeconds(3600).toString();
        assertEquals(0, given().header("Authorization", "Bearer sk-test-a")
                .get("/v1/history/sessions?session_id=" + prefix + "&from=" + future).jsonPath().getList("data").size());
        given().header("Authorization", "Bearer sk-test-a").get("/v1/history/sessions?cursor=nonsense").then().statusCode(400);
    }

    @Test
    void continuationSendsTheStoredTurnsUpstreamInOrder() {
        String session = "s-" + UUID.randomUUID();
        String first = "My name is Ada " + UUID.randomUUID();
        inSession(session, chatBody(first)).then().statusCode(200);
        String second = "And I live in Paris " + UUID.randomUUID();
        Response two = chat(chatBody(second), Map.of("X-Session-Id", session, "X-Session-Continue", "true"));
        two.then().statusCode(200);
        String third = "What is my name? " + UUID.randomUUID();
        Response three = chat(chatBody(third), Map.of("X-Session-Id", session, "X-Session-Continue", "true"));
        three.then().statusCode(200);

        JsonArray sent = Provider.requests().get(2).json().getJsonArray("messages");
        assertEquals(5, sent.size());
        assertEquals(new JsonObject().put("role", "user").put("content", first), sent.getJsonObject(0));
        assertEquals("assistant", sent.getJsonObject(1).getString("role"));
        assertEquals("answer #1", sent.getJsonObject(1).getString("content"));
        assertEquals(second, sent.getJsonObject(2).getString("content"));
        assertEquals("answer #2", sent.getJsonObject(3).getString("content"));
        assertEquals(third, sent.getJsonObject(4).getString("content"));

        awaitRecords(session, 3);
        JsonPath record = given().header("Authorization", "Bearer sk-test-a").get("/v1/history/records/" + three.header("X-Request-Id"))
                .jsonPath();
        assertEquals(1, record.getList("prompt").size(), "the request as received");
        assertEquals(5, record.getList("prompt_sent").size(), "the messages as sent");

        chat(chatBody(third), Map.of("X-Session-Continue", "true")).then().statusCode(400);
    }

    @Test
    void erasingASessionReachesRecordsStillQueued() {
        String session = "s-" + UUID.randomUUID();
        inSession(session, chatBody(uniquePrompt())).then().statusCode(200);
        Response erased = given().header("Authorization", "Bearer sk-test-a").delete("/v1/history/sessions/" + session);
        erased.then().statusCode(200);
        await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> true);
        assertEquals(0, postgres.preparedQuery("SELECT count(*) FROM strata_history WHERE session_id = $1").execute(Tuple.of(session))
                .await().indefinitely().iterator().next().getLong(0));
    }

    @Test
    void recordsSurvivePostgresBeingAwayUnderLoad() {
        String session = "s-" + UUID.randomUUID();
        Provider.postgresDown();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            Response response = inSession(session, chatBody(uniquePrompt()));
            assertEquals(200, response.statusCode(), "requests answer while Postgres is away");
            ids.add(response.header("X-Request-Id"));
        }
        Provider.postgresUp();
        await().atMost(Duration.ofSeconds(20)).until(() -> countIgnoringOutage(session) == 40);
        assertFalse(ids.contains(null));
    }

    private long countIgnoringOutage(String session) {
        try {
            return postgres.preparedQuery("SELECT count(*) FROM strata_history WHERE session_id = $1").execute(Tuple.of(session))
                    .await().atMost(Duration.ofSeconds(2)).iterator().next().getLong(0);
        } catch (RuntimeException away) {
            return -1;
        }
    }

}
