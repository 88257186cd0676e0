package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;

/** Bad input gets a clear OpenAI-shaped error and changes nothing. */
@QuarkusTest
class RequestValidationTest extends StrataTest {

    @TestHTTPResource("/v1/chat/completions")
    URI chatUrl;

    @Test
    void malformedJsonIs400InvalidJson() {
        Response response = chat("{\"model\": \"gpt-test\", \"messages\": [");
        response.then().statusCode(400);
        assertOpenAiError(response, "invalid_json");
        assertEquals(0, Provider.calls());
    }

    @Test
    void wrongFieldTypesAre400InvalidRequest() {
        Response messages = chat("{\"model\":\"gpt-test\",\"messages\":\"hello\"}");
        messages.then().statusCode(400);
        assertOpenAiError(messages, "invalid_request");
        assertEquals("messages", messages.jsonPath().getString("error.param"));

        Response stream = chat("{\"model\":\"gpt-test\",\"messages\":[],\"stream\":\"yes\"}");
        stream.then().statusCode(400);
        assertEquals("stream", stream.jsonPath().getString("error.param"));

        chat("[1,2,3]").then().statusCode(400);
        chat("{\"messages\":[]}").then().statusCode(400);
        assertEquals(0, Provider.calls());
    }

    @Test
    void parametersStrataDoesNotReadAreTheProvidersToJudge() {
        String body = "{\"model\":\"gpt-test\",\"max_tokens\":20.0,\"n\":1.0,\"temperature\":\"hot\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + uniquePrompt() + "\"}]}";
        chat(body).then().statusCode(200);
        assertEquals(1, Provider.calls(), "20.0 is an integer in value: the request went upstream");
        assertEquals(body, new String(Provider.requests().get(0).body(), StandardCharsets.UTF_8), "unchanged");
    }

    @Test
    void overlongUtf8Is400InvalidJson() {
        byte[] prefix = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"a".getBytes(StandardCharsets.UTF_8);
        byte[] suffix = "\"}]}".getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[prefix.length + 2 + suffix.length];
        System.arraycopy(prefix, 0, body, 0, prefix.length);
        body[prefix.length] = (byte) 0xC0; // an overlong '/'
        body[prefix.length + 1] = (byte) 0xAF;
        System.arraycopy(suffix, 0, body, prefix.length + 2, suffix.length);
        Response response = client().body(body).post("/v1/chat/completions");
        response.then().statusCode(400);
        assertOpenAiError(response, "invalid_json");
        assertEquals(0, Provider.calls());
    }

    @Test
    void oversizeBodyIs413() {
        byte[] body = new byte[8 * 1024 * 1024 + 10];
        Arrays.fill(body, (byte) ' ');
        Response response = client().body(body).post("/v1/chat/completions");
        response.then().statusCode(413);
        assertOpenAiError(response, "body_too_large");
        assertEquals(0, Provider.calls());
    }

    @Test
    void oversizeBodyIsRefusedFromContentLengthAloneBeforeItIsSent() throws Exception {
        try (Socket socket = new Socket(chatUrl.getHost(), chatUrl.getPort())) {
            socket.setSoTimeout(5_000);
            String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + (100L * 1024 * 1024) + "\r\n\r\n{";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            // Only the headers and one byte of a 100 MiB body were sent: the answer must come anyway.
            String answer = new String(readAvailable(socket.getInputStream()), StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
            assertTrue(answer.contains("\"code\":\"body_too_large\""), answer);
        }
    }

    private static byte[] readAvailable(InputStream in) throws Exception {
        byte[] buffer = new byte[4096];
        int total = 0;
        long deadline = System.currentTimeMillis() + 5_000;
        while (System.currentTimeMillis() < deadline) {
            int read = in.read(buffer, total, buffer.length - total);
            if (read < 0) {
                break;
            }
            total += read;
            if (new String(buffer, 0, total, StandardCharsets.UTF_8).contains("}}")) {
                break;
            }
        }
        return Arrays.copyOf(buffer, total);
    }

    @Test
    void oversizeChunkedBodyIs413AsSoonAsTheLimitIsCrossed() {
        byte[] body = new byte[9 * 1024 * 1024];
        Arrays.fill(body, (byte) ' ');
        // an InputStream has no length, so RestAssured sends it chunked
        Response response = given().contentType("application/json").body(new ByteArrayInputStream(body)).post("/v1/chat/completions");
        response.then().statusCode(413);
        assertOpenAiError(response, "body_too_large");
    }

    @Test
    void chunkedBodyUnderTheLimitIsAccepted() {
        byte[] body = chatBody(uniquePrompt()).getBytes(StandardCharsets.UTF_8);
        Response response = given().contentType("application/json").body(new ByteArrayInputStream(body)).post("/v1/chat/completions");
        response.then().statusCode(200);
        assertEquals(1, Provider.calls());
    }

    @Test
    void unknownPathOutsideV1IsOpenAiShaped404() {
        Response response = client().get("/nope");
        response.then().statusCode(404);
        assertOpenAiError(response, "not_found");
    }

    static void assertOpenAiError(Response response, String code) {
        assertEquals(code, response.jsonPath().getString("error.code"));
        assertEquals("invalid_request_error", response.jsonPath().getString("error.type"));
        assertEquals(true, response.jsonPath().getString("error.message").length() > 0);
        assertEquals(true, response.asString().contains("\"param\""));
    }
}
