package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.strata.testing.StrataTest;

/** The admin API: stats, removal of one entry from every layer, invalidation by namespace, model, age. */
@QuarkusTest
@TestProfile(AdminTest.WithAdminToken.class)
class AdminTest extends StrataTest {

    public static class WithAdminToken implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strata.api.admin-token", "adm-secret");
        }
    }

    @Test
    void adminNeedsItsToken() {
        given().get("/admin/cache/stats").then().statusCode(401);
        Response wrong = given().header("Authorization", "Bearer sk-test-a").get("/admin/cache/stats");
        wrong.then().statusCode(401);
        assertEquals("invalid_api_key", wrong.jsonPath().getString("error.code"));
    }

    @Test
    void statsCountEntriesPerLayerAndTheHitRatio() {
        String body = chatBody(uniquePrompt());
        primeCache(body, Map.of());
        chat(body);
        Response stats = admin().get("/admin/cache/stats");
        stats.then().statusCode(200);
        assertEquals("l1", stats.jsonPath().getString("layers[0].layer"));
        assertTrue(stats.jsonPath().getLong("layers[0].entries") >= 1);
        assertTrue(stats.jsonPath().getLong("layers[0].bytes") > 0);
        assertEquals("l2", stats.jsonPath().getString("layers[1].layer"));
        assertTrue(stats.jsonPath().getLong("layers[1].entries") >= 1);
        assertTrue(stats.jsonPath().getLong("layers[1].bytes") > 0);
        assertTrue(stats.jsonPath().getDouble("hit_ratio") > 0);
        assertTrue(stats.jsonPath().getLong("requests_since_start.HIT-L1") >= 1);
    }

    @Test
    void deletingAnEntryRemovesItFromEveryLayer() {
        String body = chatBody(uniquePrompt());
        String key = chat(body).header("X-Cache-Key");
        awaitInL1(key);
        Response deleted = admin().delete("/admin/cache/entries/" + key);
        deleted.then().statusCode(200);
        assertEquals(true, deleted.jsonPath().getBoolean("deleted"));
        assertEquals("MISS", status(chat(body)), "gone from L1 and from L2");
        admin().delete("/admin/cache/entries/not-a-key").then().statusCode(400);
    }

    @Test
    void invalidateByModelRemovesOnlyThatModelsEntries() {
        String modelA = "gpt-a" + System.nanoTime();
        String bodyA = "{\"model\":\"" + modelA + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + uniquePrompt() + "\"}]}";
        String bodyB = chatBody(uniquePrompt());
        awaitInL1(chat(bodyA).header("X-Cache-Key"));
        awaitInL1(chat(bodyB).header("X-Cache-Key"));

        Response result = admin().contentType("application/json").body("{\"model\":\"" + modelA + "-2024-08-06\"}")
                .post("/admin/cache/invalidate");
        result.then().statusCode(200);
        assertEquals(1, result.jsonPath().getInt("invalidated"));
        assertEquals("MISS", status(chat(bodyA)));
        assertEquals("HIT-L1", status(chat(bodyB)));
    }

    @Test
    void invalidateByNamespaceAndByAge() {
        String namespace = "ns-" + System.nanoTime();
        String body = chatBody(uniquePrompt());
        awaitInL1(chat(body, Map.of("X-Cache-Namespace", namespace)).header("X-Cache-Key"));
        Response byNamespace = admin().contentType("application/json").body("{\"namespace\":\"" + namespace + "\"}")
                .post("/admin/cache/invalidate");
        assertEquals(1, byNamespace.jsonPath().getInt("invalidated"));
        assertEquals("MISS", status(chat(body, Map.of("X-Cache-Namespace", namespace))));

        String old = chatBody(uniquePrompt());
        awaitInL1(chat(old).header("X-Cache-Key"));
        Response byAge = admin().contentType("application/json")
                .body("{\"created_before\":\"" + Instant.now().plusSeconds(1) + "\"}").post("/admin/cache/invalidate");
        assertTrue(byAge.jsonPath().getInt("invalidated") >= 1);
        assertEquals("MISS", status(chat(old)));
    }

    @Test
    void invalidateWithoutCriteriaOrWithBadOnesIs400() {
        admin().contentType("application/json").body("{}").post("/admin/cache/invalidate").then().statusCode(400);
        admin().contentType("application/json").body("{\"created_before\":\"yesterday\"}").post("/admin/cache/invalidate")
                .then().statusCode(400);
        admin().contentType("application/json").body("{\"model\":5}").post("/admin/cache/invalidate").then().statusCode(400);
    }

    private static io.restassured.specification.RequestSpecification admin() {
        return given().header("Authorization", "Bearer adm-secret");
    }
}
