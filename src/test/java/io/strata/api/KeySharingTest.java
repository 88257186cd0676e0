package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;

/** Which requests share an entry, end to end; and what reaches the provider. */
@QuarkusTest
class KeySharingTest extends StrataTest {

    @Test
    void twoClientKeysNeverShareAnEntry() {
        String body = chatBody(uniquePrompt());
        Response a = as("sk-tenant-a", body);
        awaitInL1(a.header("X-Cache-Key"));
        assertEquals("HIT-L1", status(as("sk-tenant-a", body)));
        Response b = as("sk-tenant-b", body);
        assertEquals("MISS", status(b), "another key must not read tenant a's entry");
        assertNotEquals(a.header("X-Cache-Key"), b.header("X-Cache-Key"));
        assertEquals("answer #2", b.jsonPath().getString("choices[0].message.content"));
        Response anonymous = given().contentType("application/json").body(body).post("/v1/chat/completions");
        assertEquals("MISS", status(anonymous));
    }

    @Test
    void requestsDifferingOnlyInUserMetadataKeyOrderWhiteSpaceOrNumberFormShareOneEntry() {
        String prompt = uniquePrompt();
        String first = "{\"model\":\"gpt-test\",\"temperature\":1,\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
        String key = as("sk-share", first).header("X-Cache-Key");
        awaitInL1(key);
        List<String> variants = List.of(
                "{\"model\":\"gpt-test\",\"temperature\":1,\"user\":\"u-42\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt
                        + "\"}]}",
                "{\"model\":\"gpt-test\",\"temperature\":1,\"metadata\":{\"trace\":\"x\"},\"messages\":[{\"role\":\"user\",\"content\":\""
                        + prompt + "\"}]}",
                "{\"messages\":[{\"content\":\"" + prompt + "\",\"role\":\"user\"}],\"temperature\":1,\"model\":\"gpt-test\"}",
                "{\"model\":\"gpt-test\",\"temperature\":1,\"messages\":[{\"role\":\"user\",\"content\":\"  " + prompt + "\\n\"}]}",
                "{\"model\":\"gpt-test\",\"temperature\":1.0,\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}",
                " {\n \"model\" : \"gpt-test\" , \"temperature\":1, \"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}] } ");
        for (String variant : variants) {
            Response response = as("sk-share", variant);
            assertEquals("HIT-L1", status(response), variant);
            assertEquals(key, response.header("X-Cache-Key"), variant);
        }
        assertEquals(1, Provider.calls());
    }

    @Test
    void differentTemperatureOrModelDoNotShare() {
        String prompt = uniquePrompt();
        String base = "{\"model\":\"gpt-test\",\"temperature\":0.2,\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
        awaitInL1(as("sk-share", base).header("X-Cache-Key"));
        assertEquals("MISS", status(as("sk-share", base.replace("0.2", "0.7"))));
        assertEquals("MISS", status(as("sk-share", base.replace("gpt-test", "gpt-other"))));
        assertEquals(3, Provider.calls());
    }

    @Test
    void theProviderReceivesTheClientsExactBytes() {
        String prompt = uniquePrompt();
        // odd spacing, key order, a number form and unknown fields the canonical form would all change
        String body = "{ \"temperature\" : 1.50,\"model\":\"gpt-test\",\n\t\"messages\":[{\"role\":\"user\",\"content\":\"  "
                + prompt + " \\u00e9 \"}], \"x_custom\": {\"b\":1,\"a\":[1e2]}, \"user\": \"u-1\"}";
        as("sk-bytes", body).then().statusCode(200);
        Provider.Recorded received = Provider.requests().get(0);
        assertArrayEquals(body.getBytes(StandardCharsets.UTF_8), received.body());
        assertEquals("/v1/chat/completions", received.path());
        assertEquals("Bearer sk-bytes", received.headers().getString("authorization"), "forward mode passes the client's key");
        assertFalse(received.headers().containsKey("cache-control"));
        assertFalse(received.headers().containsKey("x-cache-namespace"));
    }

    @Test
    void otherV1PathsPassThroughUncached() {
        String body = "{\"model\":\"gpt-test\",\"input\":\"" + uniquePrompt() + "\"}";
        for (int i = 0; i < 2; i++) {
            Response response = given().header("Authorization", "Bearer sk-x").contentType("application/json").body(body)
                    .post("/v1/moderations?trace=1");
            response.then().statusCode(200);
            assertEquals("BYPASS", status(response));
        }
        assertEquals(2, Provider.calls());
        assertEquals("/v1/moderations?trace=1", Provider.requests().get(0).path());
        assertArrayEquals(body.getBytes(StandardCharsets.UTF_8), Provider.requests().get(1).body());
    }

    @Test
    void embeddingsAreCached() {
        String body = "{\"model\":\"text-embedding-3-small\",\"input\":\"" + uniquePrompt() + "\"}";
        Response miss = given().header("Authorization", "Bearer sk-e").contentType("application/json").body(body).post("/v1/embeddings");
        miss.then().statusCode(200);
        awaitInL1(miss.header("X-Cache-Key"));
        assertEquals("HIT-L1", given().header("Authorization", "Bearer sk-e").contentType("application/json").body(body)
                .post("/v1/embeddings").header("X-Cache-Status"));
        assertEquals(1, Provider.calls());
    }

    private static Response as(String clientKey, String body) {
        return given().header("Authorization", "Bearer " + clientKey).contentType("application/json").body(body)
                .post("/v1/chat/completions");
    }
}
