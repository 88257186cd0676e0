package io.strata.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.strata.testing.SemanticProfile;
import io.strata.testing.StrataTest;
import io.vertx.mutiny.sqlclient.Tuple;

/** The semantic layer on /v1/responses: a paraphrased input is served, other instructions or a trap are not. */
@QuarkusTest
@TestProfile(SemanticProfile.class)
class SemanticResponsesTest extends StrataTest {

    @jakarta.inject.Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    private static Response respond(String instructions, String input, Map<String, String> headers) {
        return client().headers(headers)
                .body("{\"model\":\"gpt-test\",\"instructions\":\"" + instructions + "\",\"input\":\"" + input + "\"}")
                .post("/v1/responses");
    }

    @Test
    void aParaphrasedInputIsServedAndTrapsAreNot() {
        Map<String, String> headers = Map.of("X-Cache-Namespace", "responses-" + System.nanoTime());
        Response base = respond("You help customers.", "How do I reset my password?", headers);
        assertEquals("MISS", status(base));
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> pool
                .preparedQuery("SELECT 1 FROM strata_semantic_entries WHERE cache_key = $1").execute(Tuple.of(base.header("X-Cache-Key")))
                .await().atMost(Duration.ofSeconds(5)).size() == 1);
        Response paraphrase = respond("You help customers.", "How can I reset my password?", headers);
        assertEquals("HIT-SEMANTIC", status(paraphrase));
        assertEquals(base.header("X-Cache-Key"), paraphrase.header("X-Cache-Key"));
        assertEquals(base.asString(), paraphrase.asString());
        assertEquals("MISS", status(respond("You help admins.", "How can I reset my password?", headers)), "other instructions");
        assertEquals("MISS", status(respond("You help customers.", "How do I reset my username?", headers)), "another entity");
    }
}
