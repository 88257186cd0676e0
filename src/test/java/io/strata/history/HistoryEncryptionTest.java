package io.strata.history;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.strata.config.HistoryConfig;
import io.strata.proxy.RequestIds;
import io.strata.testing.StrataTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/** AES-GCM sealing: ciphertext in the table, plaintext through the API, old keys still readable. */
@QuarkusTest
@TestProfile(HistoryEncryptionTest.Sealed.class)
class HistoryEncryptionTest extends StrataTest {

    static final String OLD_KEY = Base64.getEncoder()
            .encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
    static final String NEW_KEY = Base64.getEncoder()
            .encodeToString("fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII));

    public static class Sealed implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "strata.history.encryption.enabled", "true",
                    "strata.history.encryption.active-key", "k2",
                    "strata.history.encryption.keys.k1", OLD_KEY,
                    "strata.history.encryption.keys.k2", NEW_KEY);
        }
    }

    @Inject
    Pool postgres;

    @Inject
    HistorySealer sealer;

    @Inject
    HistoryWriter writer;

    @Test
    void promptAndResponseAreCiphertextInTheTableAndPlaintextThroughTheApi() {
        String session = "s-" + UUID.randomUUID();
        String secret = "the secret plan " + UUID.randomUUID();
        chat(chatBody(secret), Map.of("X-Session-Id", session)).then().statusCode(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> row(session) != null);
        Row row = row(session);
        assertNull(row.getValue("request_body"));
        assertNull(row.getValue("response_body"));
        assertEquals("k2", row.getString("key_id"));
        assertFalse(new String(row.getBuffer("sealed").getBytes(), StandardCharsets.ISO_8859_1).contains("secret plan"));

        JsonPath record = given().header("Authorization", "Bearer sk-test-a").get("/v1/history/sessions/" + session).jsonPath();
        assertEquals(secret, record.getString("data[0].prompt[0].content"));
        assertEquals("answer #1", record.getString("data[0].response.choices[0].message.content"));
        assertEquals("k2", record.getString("data[0].metadata.key_id"));
    }

    @Test
    void rowsSealedUnderAnOlderKeyInTheEarlierJsonFormStayReadableAfterRotation() {
        String session = "s-" + UUID.randomUUID();
        byte[] content = "{\"prompt\":[{\"role\":\"user\",\"content\":\"written under k1\"}],\"prompt_sent\":null,\"response\":null}"
                .getBytes(StandardCharsets.UTF_8);
        HistoryRecord old = new HistoryRecord(RequestIds.next(), System.currentTimeMillis(), "k:" + "0".repeat(32), session, null,
                "chat.completions", "gpt-test", "gpt-test-1", null, null, null, null, sealer.get().seal("k1", content), "k1",
                false, "none", "MISS", 5, null, null, 200, 200, null, null);
        writer.submit(old);
        await().atMost(Duration.ofSeconds(10)).until(() -> row(session) != null);
        JsonPath record = given().header("Authorization", "Bearer hist-secret").get("/v1/history/sessions/" + session).jsonPath();
        assertEquals("written under k1", record.getString("data[0].prompt[0].content"));
        assertEquals("k1", record.getString("data[0].metadata.key_id"));
    }

    @Test
    void aStoredTurnThatCannotBeOpenedFailsTheContinuationInsteadOfVanishing() {
        String session = "s-" + UUID.randomUUID();
        HistoryRecord unreadable = new HistoryRecord(RequestIds.next(), System.currentTimeMillis(),
                io.strata.cache.CacheKeyFactory.scopeOf("sk-test-a"), session, null, "chat.completions", "gpt-test", "gpt-test-1",
                null, null, null, null,
                new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29},
                "k9", false, "none", "MISS", 5, null, null, 200, 200, null, null);
        writer.submit(unreadable);
        await().atMost(Duration.ofSeconds(10)).until(() -> row(session) != null);

        var refused = chat(chatBody("and then?"), Map.of("X-Session-Id", session, "X-Session-Continue", "true"));
        refused.then().statusCode(503);
        assertEquals("history_unavailable", refused.jsonPath().getString("error.code"));
        String id = refused.header("X-Request-Id");
        assertNotNull(id, "the 503 names its record");
        await().atMost(Duration.ofSeconds(10)).until(() -> given().header("Authorization", "Bearer hist-secret")
                .get("/v1/history/records/" + id).statusCode() == 200);
        assertEquals(503, given().header("Authorization", "Bearer hist-secret").get("/v1/history/records/" + id)
                .jsonPath().getInt("metadata.status"));
    }

    @Test
    void aWrongOrMissingKeyIsRefused() {
        Sealer right = new Sealer(encryption("k1", Map.of("k1", OLD_KEY)));
        byte[] sealed = right.seal("hello".getBytes(StandardCharsets.UTF_8));
        Sealer wrong = new Sealer(encryption("k1", Map.of("k1", NEW_KEY)));
        assertThrows(IllegalStateException.class, () -> wrong.open("k1", sealed));
        assertThrows(IllegalStateException.class, () -> new Sealer(encryption("k9", Map.of("k1", OLD_KEY))));
        assertThrows(IllegalStateException.class, () -> new Sealer(encryption("k1", Map.of("k1", "dG9vIHNob3J0"))));
        assertThrows(IllegalStateException.class, () -> right.open("k7", sealed));
        assertNotNull(sealer.get());
    }

    private static HistoryConfig.Encryption encryption(String active, Map<String, String> keys) {
        return new HistoryConfig.Encryption() {
            public boolean enabled() {
                return true;
            }

            public Optional<String> activeKey() {
                return Optional.of(active);
            }

            public Map<String, String> keys() {
                return keys;
            }
        };
    }

    private Row row(String session) {
        var rows = postgres.preparedQuery("SELECT request_body, response_body, sealed, key_id FROM strata_history WHERE session_id = $1")
                .execute(Tuple.of(session)).await().indefinitely();
        return rows.size() == 0 ? null : rows.iterator().next();
    }

}
