package io.strata.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.restassured.response.Response;
import io.strata.testing.Provider;

/** OpenAI-shaped errors from the packaged app: its own refusals, and the provider's errors passed through uncached. */
@QuarkusIntegrationTest
class ErrorsIT extends PackagedAppTest {

    private static final String SERVER_ERROR = "{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\",\"param\":null,\"code\":null}}";

    @Test
    void badInputIsA400ThatReachesNoProvider() {
        Response malformed = chat("{\"model\": \"gpt-test\", \"messages\": [");
        malformed.then().statusCode(400);
        assertOpenAiError(malformed, "invalid_json");
        Response wrongType = chat("{\"model\":\"gpt-test\",\"messages\":\"hello\"}");
        wrongType.then().statusCode(400);
        assertOpenAiError(wrongType, "invalid_request");
        assertEquals("messages", wrongType.jsonPath().getString("error.param"));
        assertEquals(0, Provider.calls());
    }

    @Test
    void oversizeBodiesAre413WithOrWithoutAContentLength() {
        byte[] body = new byte[8 * 1024 * 1024 + 10];
        Arrays.fill(body, (byte) ' ');
        Response sized = client().body(body).post("/v1/chat/completions");
        sized.then().statusCode(413);
        assertOpenAiError(sized, "body_too_large");
        Response chunked = given().contentType("application/json").body(new ByteArrayInputStream(body)).post("/v1/chat/completions");
        chunked.then().statusCode(413);
        assertOpenAiError(chunked, "body_too_large");
        assertEquals(0, Provider.calls());
    }

    @Test
    void unknownPathIsAnOpenAiShaped404() {
        Response response = client().get("/nope");
        response.then().statusCode(404);
        assertOpenAiError(response, "not_found");
    }

    @Test
    void providerErrorPassesThroughAfterRetriesAndIsNotCached() {
        Provider.always(Provider.status(500, SERVER_ERROR));
        String body = chatBody(uniquePrompt());
        Response error = chat(body);
        error.then().statusCode(500);
        assertEquals(SERVER_ERROR, error.asString(), "the provider's body passes through unchanged");
        assertEquals(3, Provider.calls(), "a 5xx is retried twice");
        Provider.reset();
        Response next = chat(body);
        next.then().statusCode(200);
        assertEquals("MISS", status(next), "the error was not cached");
    }

    @Test
    void providerAnswerThatIsNotJsonIs502() {
        Provider.script(Provider.status(200, "<html>oops</html>"));
        Response response = chat(chatBody(uniquePrompt()));
        response.then().statusCode(502);
        assertEquals("upstream_bad_response", response.jsonPath().getString("error.code"));
    }

    private static void assertOpenAiError(Response response, String code) {
        assertEquals(code, response.jsonPath().getString("error.code"));
        assertEquals("invalid_request_error", response.jsonPath().getString("error.type"));
        assertTrue(response.jsonPath().getString("error.message").length() > 0);
        assertTrue(response.asString().contains("\"param\""));
    }
}
