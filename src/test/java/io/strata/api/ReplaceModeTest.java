package io.strata.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;

/** In replace mode the provider key is lent to inference endpoints only: any other pass-through path answers 403. */
@QuarkusTest
@TestProfile(ReplaceModeTest.Replace.class)
class ReplaceModeTest extends StrataTest {

    public static class Replace implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strata.upstream.auth-mode", "replace", "strata.upstream.api-key", "sk-provider-secret");
        }
    }

    @Test
    void adminAndFilePathsAreForbiddenAndNeverSent() {
        Response admin = client().get("/v1/organization/admin_api_keys");
        admin.then().statusCode(403);
        assertEquals("forbidden", admin.jsonPath().getString("error.code"));
        assertEquals("invalid_request_error", admin.jsonPath().getString("error.type"));
        client().delete("/v1/files/file-abc").then().statusCode(403);
        client().delete("/v1/models/ft:gpt-4o:acme").then().statusCode(403);
        client().body("{}").post("/v1/fine_tuning/jobs").then().statusCode(403);
        assertEquals(0, Provider.calls(), "the provider key went nowhere");
    }

    @Test
    void inferencePassThroughGoesUpstreamWithTheProviderKey() {
        client().body("{\"input\":\"hello\"}").post("/v1/moderations").then().statusCode(200);
        chat(chatBody(uniquePrompt())).then().statusCode(200);
        assertEquals(2, Provider.calls());
        assertEquals("Bearer sk-provider-secret", Provider.requests().get(0).headers().getString("authorization"));
        assertEquals("Bearer sk-provider-secret", Provider.requests().get(1).headers().getString("authorization"));
    }
}
