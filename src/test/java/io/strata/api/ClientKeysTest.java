package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;

/** With client keys configured and the provider key replaced. */
@QuarkusTest
@TestProfile(ClientKeysTest.KeysAndReplace.class)
class ClientKeysTest extends StrataTest {

    public static class KeysAndReplace implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "strata.api.client-keys", "sk-client-one,sk-client-two",
                    "strata.upstream.auth-mode", "replace",
                    "strata.upstream.api-key", "sk-provider-secret",
                    "strata.api.admin-token", "adm-secret");
        }
    }

    @Test
    void wrongOrMissingClientKeyIs401AndCallsNothing() {
        Response wrong = given().header("Authorization", "Bearer sk-client-three").contentType("application/json")
                .body(chatBody(uniquePrompt())).post("/v1/chat/completions");
        wrong.then().statusCode(401);
        assertEquals("invalid_api_key", wrong.jsonPath().getString("error.code"));
        given().contentType("application/json").body(chatBody(uniquePrompt())).post("/v1/chat/completions").then().statusCode(401);
        given().header("Authorization", "Bearer sk-client-three").get("/v1/models").then().statusCode(401);
        given().header("Authorization", "Bearer sk-client-three").post("/v1/responses").then().statusCode(401);
        assertEquals(0, Provider.calls());
    }

    @Test
    void acceptedKeyIsReplacedByTheProviderKey() {
        Response ok = given().header("Authorization", "Bearer sk-client-two").contentType("application/json")
                .body(chatBody(uniquePrompt())).post("/v1/chat/completions");
        ok.then().statusCode(200);
        assertEquals("Bearer sk-provider-secret", Provider.requests().get(0).headers().getString("authorization"));
    }
}
