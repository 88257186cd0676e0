package io.strata.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.testing.Provider;
import io.strata.testing.RawHttp;
import io.strata.testing.StrataTest;

/**
 * Errors of the request line and headers carry the OpenAI error body. (A malformed chunk size is
 * still answered by closing the connection: the decoder's failure closes it before any handler can answer.)
 */
@QuarkusTest
class HttpLayerErrorsTest extends StrataTest {

    @TestHTTPResource("/")
    URI base;

    private String send(String request) throws Exception {
        return RawHttp.exchange(base.getHost(), base.getPort(), request);
    }

    @Test
    void headersTooLargeAre431WithAnErrorBody() throws Exception {
        String answer = send("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 431"), answer);
        assertTrue(answer.contains("\"code\":\"request_header_fields_too_large\""), answer);
    }

    @Test
    void aUriTooLongIs414WithAnErrorBody() throws Exception {
        String answer = send("GET /v1/files/" + "f".repeat(6_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 414"), answer);
        assertTrue(answer.contains("\"code\":\"uri_too_long\""), answer);
        assertEquals(0, Provider.calls());
    }
}
