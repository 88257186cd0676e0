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

/** The path of a pass-through request goes upstream normalised; one that leaves /v1/ once decoded is refused with 400. */
@QuarkusTest
class PassThroughPathTest extends StrataTest {

    @TestHTTPResource("/")
    URI base;

    private String send(String requestLine) throws Exception {
        return RawHttp.exchange(base.getHost(), base.getPort(), requestLine + "\r\nHost: localhost\r\nAuthorization: Bearer sk-test-a\r\n"
                + "Connection: close\r\n\r\n");
    }

    @Test
    void encodedTraversalIsRefusedAndNeverSent() throws Exception {
        for (String path : new String[]{"/v1/..%2f..%2fadmin", "/v1/%2e%2e%2f%2e%2e%2fadmin", "/v1/..;/admin",
                "/v1/x/..%2f..%2f..%2fadmin"}) {
            String answer = send("GET " + path + " HTTP/1.1");
            assertTrue(answer.startsWith("HTTP/1.1 400") || answer.startsWith("HTTP/1.1 404"), path + " answered " + answer);
            assertTrue(answer.contains("\"error\""), "OpenAI-shaped: " + answer);
        }
        assertEquals(0, Provider.calls(), "nothing went upstream");
        assertTrue(send("GET /v1/..%2f..%2fadmin HTTP/1.1").contains("\"code\":\"invalid_request\""));
    }

    @Test
    void dotSegmentsAreResolvedBeforeTheRequestGoesUpstream() throws Exception {
        String answer = send("GET /v1/files/./x/../file-1?purpose=fine-tune HTTP/1.1");
        assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
        assertEquals("/v1/files/file-1?purpose=fine-tune", Provider.requests().get(0).path());
    }

    @Test
    void anAbsoluteFormRequestLineGoesToTheProviderNotToItsHost() throws Exception {
        String answer = send("GET http://evil.example:9999/v1/files/file-2 HTTP/1.1");
        assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
        assertEquals("/v1/files/file-2", Provider.requests().get(0).path());
    }
}
