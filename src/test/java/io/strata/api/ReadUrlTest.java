package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.strata.testing.StrataTest;

/**
 * L2 lookups and the history API's reads go to strata.postgres.read-url (a replica), everything
 * else to the primary: with the read URL pointing nowhere, writes still land in the primary while
 * every lookup is a miss and history reads fail cleanly.
 */
@QuarkusTest
@TestProfile(ReadUrlTest.WithUnreachableReplica.class)
class ReadUrlTest extends StrataTest {

    public static class WithUnreachableReplica implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strata.postgres.read-url", "postgresql://127.0.0.1:1/postgres",
                    "strata.cache.l1.enabled", "false",
                    "strata.cache.l2.timeout", "300ms",
                    "strata.api.admin-token", "adm-secret");
        }
    }

    @Test
    void lookupsAndHistoryReadsUseTheReadUrlWritesThePrimary() throws Exception {
        String namespace = "replica-" + uniquePrompt().hashCode();
        String body = chatBody(uniquePrompt());
        Map<String, String> headers = Map.of("X-Cache-Namespace", namespace, "X-Session-Id", namespace);
        assertEquals("MISS", status(chat(body, headers)));
        Thread.sleep(300); // the write-back reaches the primary
        assertEquals("MISS", status(chat(body, headers)), "the lookup went to the unreachable read URL");

        Response invalidated = given().header("Authorization", "Bearer adm-secret").contentType("application/json")
                .body("{\"namespace\":\"" + namespace + "\"}").post("/admin/cache/invalidate");
        assertEquals(1, invalidated.jsonPath().getInt("invalidated"), "the entry is in the primary: " + invalidated.asString());

        Response history = given().header("Authorization", "Bearer hist-secret").get("/v1/history/sessions/" + namespace);
        assertEquals(503, history.statusCode(), history.asString());
    }
}
