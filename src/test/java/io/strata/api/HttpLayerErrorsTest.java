package io.strata.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.testing.H2c;
import io.strata.testing.Provider;
import io.strata.testing.RawHttp;
import io.strata.testing.StrataTest;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * Errors of the request line and headers carry the OpenAI error body: those Strata checks (below the
 * decoder's limits) and those the HTTP decoder itself meets (beyond its limits, or a request it cannot
 * parse), on a connection's first request and on a kept-alive one.
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

    @Test
    void aRequestLineBeyondTheDecodersLimitIs414WithAnErrorBody() throws Exception {
        String answer = send("GET /v1/files/" + "f".repeat(20_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.0 414"), answer); // the decoder stops before it reads the version
        assertTrue(answer.contains("\"code\":\"uri_too_long\""), answer);
        assertTrue(answer.contains("application/json"), answer);
    }

    @Test
    void headersBeyondTheDecodersLimitAre431WithAnErrorBody() throws Exception {
        String answer = send("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(60_000) + "\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 431"), answer);
        assertTrue(answer.contains("\"code\":\"request_header_fields_too_large\""), answer);
    }

    @Test
    void aRequestTheDecoderCannotParseIs400WithAnErrorBody() throws Exception {
        String answer = send("NONSENSE\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1."), answer);
        assertTrue(answer.contains(" 400 "), answer);
        assertTrue(answer.contains("\"code\":\"invalid_request\""), answer);
        assertEquals(0, Provider.calls());
    }

    @Test
    void aKeptAliveConnectionsUndecodableRequestGetsTheErrorBodyToo() throws Exception {
        String answer = send("GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n"
                + "GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(60_000) + "\r\n\r\n");
        int second = answer.indexOf("HTTP/1.1 431");
        assertTrue(second > 0, answer);
        assertTrue(answer.substring(second).contains("\"code\":\"request_header_fields_too_large\""), answer);
    }

    @Test
    void aMalformedChunkSizeIs400WithAnErrorBody() throws Exception {
        String answer = send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
        assertTrue(answer.contains("\"code\":\"invalid_request\""), answer);
        assertEquals(0, Provider.calls());
    }

    /** HTTP/2 has no Connection header (a client rejects an answer that carries one): only the stream ends. */
    @Test
    void onHttp2TheHeadLimitsAnswerOnTheirStreamAndTheConnectionGoesOn() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            HttpClient http = H2c.client(vertx, base.getHost(), base.getPort());
            List<HttpConnection> connections = new CopyOnWriteArrayList<>();
            http.connectionHandler(connections::add);
            String uriTooLong = get(http, new RequestOptions().setURI("/v1/files/" + "f".repeat(6_000)));
            assertTrue(uriTooLong.startsWith("414 ") && uriTooLong.contains("\"code\":\"uri_too_long\""), uriTooLong);
            String headersTooLarge = get(http, new RequestOptions().setURI("/v1/models").putHeader("X-Big", "a".repeat(17_000)));
            assertTrue(headersTooLarge.startsWith("431 ") && headersTooLarge.contains("\"code\":\"request_header_fields_too_large\""),
                    headersTooLarge);
            assertEquals(0, Provider.calls(), "neither went upstream");
            String models = get(http, new RequestOptions().setURI("/v1/models"));
            assertTrue(models.startsWith("200 "), models);
            assertEquals(1, connections.size(), "all three over one connection");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
    }

    private static String get(HttpClient http, RequestOptions options) throws Exception {
        return H2c.exchange(http, options.setMethod(HttpMethod.GET), null).toCompletionStage().toCompletableFuture().get(10,
                TimeUnit.SECONDS);
    }
}
