package io.strata.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strata.testing.H2c;
import io.strata.testing.Provider;
import io.strata.testing.RawHttp;
import io.strata.testing.StrataTest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.GoAway;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * Slow and idle clients do not hold connections: an incomplete body answers 408 within the body
 * timeout, an idle connection (before its first request or between two) is closed, and headers
 * trickled on a new or a kept-alive connection are cut; a request waiting for a slow provider is not.
 */
@QuarkusTest
@TestProfile(ConnectionTimeoutsTest.Short.class)
class ConnectionTimeoutsTest extends StrataTest {

    public static class Short implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strata.api.header-timeout", "1s", "strata.api.body-timeout", "1s", "strata.api.keep-alive-timeout", "1s",
                    "strata.upstream.timeout", "5s");
        }
    }

    @TestHTTPResource("/")
    URI base;

    private static final String HEAD = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n";

    @Test
    void aBodyNeverCompletedAnswers408() throws Exception {
        long start = System.nanoTime();
        String answer = RawHttp.exchange(base.getHost(), base.getPort(),
                (HEAD + "Content-Length: 100\r\n\r\n{\"model\":").getBytes(StandardCharsets.US_ASCII), 5_000);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
        assertTrue(answer.contains("\"code\":\"request_timeout\""), answer);
        assertTrue(millis < 3_000, "cut after the body timeout: " + millis + " ms");
        assertEquals(0, Provider.calls());
    }

    @Test
    void aBodyAtOneByteAtATimeIsCut() throws Exception {
        try (Socket socket = socket()) {
            OutputStream out = socket.getOutputStream();
            out.write((HEAD + "Content-Length: 200\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            Thread trickle = new Thread(() -> {
                try {
                    for (int i = 0; i < 50; i++) {
                        out.write('x');
                        out.flush();
                        Thread.sleep(100);
                    }
                } catch (Exception cut) {
                    // the server closed the connection: what is expected
                }
            });
            trickle.start();
            String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
            assertTrue(millis < 3_000, "cut after about the body timeout: " + millis + " ms");
            trickle.interrupt();
        }
    }

    @Test
    void anIdleConnectionIsClosedBeforeAndBetweenRequests() throws Exception {
        try (Socket silent = socket()) {
            assertClosedWithin(silent, 3_000);
        }
        try (Socket keptAlive = socket()) {
            keptAlive.getOutputStream().write("GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = readAnswer(keptAlive.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            assertClosedWithin(keptAlive, 3_000);
        }
    }

    @Test
    void headersTrickledOnAKeptAliveConnectionAreCut() throws Exception {
        try (Socket socket = socket()) {
            socket.getOutputStream().write("GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            readAnswer(socket.getInputStream());
            assertTrickledHeadersCut(socket);
        }
    }

    /**
     * The server's idle timer sits behind the HTTP decoder, which passes nothing on until a request's
     * headers are complete: the header timeout runs from the connection's opening, bytes or not.
     */
    @Test
    void headersTrickledOnANewConnectionAreCut() throws Exception {
        try (Socket socket = socket()) {
            assertTrickledHeadersCut(socket);
        }
    }

    /** Sends a request head a byte every 100 ms (it would take about 7 s): it must be cut before 4 s. */
    private static void assertTrickledHeadersCut(Socket socket) throws Exception {
        long start = System.nanoTime();
        boolean closed = false;
        for (byte b : "GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                .getBytes(StandardCharsets.US_ASCII)) {
            try {
                socket.getOutputStream().write(b);
                socket.getOutputStream().flush();
            } catch (java.io.IOException reset) {
                closed = true;
                break;
            }
            Thread.sleep(100);
            if ((System.nanoTime() - start) / 1_000_000 > 4_000) {
                break;
            }
        }
        if (!closed) {
            assertClosedWithin(socket, 100);
        }
        assertTrue((System.nanoTime() - start) / 1_000_000 < 4_000, "trickled headers were cut");
    }

    @Test
    void aRequestWaitingForASlowProviderIsNotCut() {
        Provider.always(Provider.delayed(2_500)); // longer than every client timeout here
        chat(chatBody(uniquePrompt())).then().statusCode(200);
    }

    /**
     * HTTP/2 (h2c, prior knowledge): a connection with a stream in flight is not idle. A slow stream, then a
     * quick one answered at once: past the keep-alive timeout the connection is neither closed nor sent GOAWAY
     * (Netty's close of an HTTP/2 channel sends GOAWAY and cuts the streams still open 30 s later), the slow
     * stream is answered, and only then, idle, is the connection closed.
     */
    @Test
    void anOlderHttp2StreamInFlightKeepsItsConnection() throws Exception {
        Provider.script(Provider.delayed(3_000)); // the first call (the slow stream) waits 3 s, the next ones answer at once
        Vertx vertx = Vertx.vertx();
        try {
            HttpClient http = H2c.client(vertx, base.getHost(), base.getPort());
            List<HttpConnection> connections = new CopyOnWriteArrayList<>();
            List<GoAway> goAways = new CopyOnWriteArrayList<>();
            CompletableFuture<Long> closedAt = new CompletableFuture<>();
            http.connectionHandler(connection -> {
                connections.add(connection);
                connection.goAwayHandler(goAways::add);
                connection.closeHandler(closed -> closedAt.complete(System.nanoTime()));
            });
            Future<String> slow = post(http, uniquePrompt());
            long deadline = System.currentTimeMillis() + 5_000;
            while (Provider.calls() < 1 && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            String quick = post(http, uniquePrompt()).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertTrue(quick.startsWith("200"), "the quick stream is answered: " + quick);
            Thread.sleep(2_000); // past the keep-alive timeout (1 s) and a check, the slow stream still at the provider
            assertEquals(List.of(), goAways.stream().map(GoAway::getLastStreamId).toList(),
                    "no GOAWAY while a stream is in flight");
            assertFalse(closedAt.isDone(), "the connection is not closed while a stream is in flight");
            String answer = slow.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            long answeredAt = System.nanoTime();
            assertTrue(answer.startsWith("200"), "the slow stream is answered: " + answer);
            assertEquals(1, connections.size(), "both streams went over one connection");
            long idleMillis = (closedAt.get(5, TimeUnit.SECONDS) - answeredAt) / 1_000_000;
            assertTrue(idleMillis < 3_000, "then idle, the connection is closed: after " + idleMillis + " ms");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
    }

    /**
     * HTTP/2: the body deadline is per request. A stream whose body never completes answers 408 (its stream
     * reset), while a slow stream sent after it on the same connection goes on and is answered.
     */
    @Test
    void aLateHttp2BodyAnswers408AndLeavesTheOtherStreams() throws Exception {
        Provider.script(Provider.delayed(2_500));
        Vertx vertx = Vertx.vertx();
        try {
            HttpClient http = H2c.client(vertx, base.getHost(), base.getPort());
            List<HttpConnection> connections = new CopyOnWriteArrayList<>();
            List<GoAway> goAways = new CopyOnWriteArrayList<>();
            http.connectionHandler(connection -> {
                connections.add(connection);
                connection.goAwayHandler(goAways::add);
            });
            long start = System.nanoTime();
            Future<String> partial = http.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/v1/chat/completions")
                    .putHeader("Authorization", "Bearer sk-test-a").putHeader("Content-Type", "application/json")
                    .putHeader("Content-Length", "100"))
                    .compose(request -> {
                        request.write("{\"model\":");
                        return request.response();
                    })
                    .compose(response -> response.body().map(body -> response.statusCode() + " " + body))
                    .recover(failed -> Future.succeededFuture("failed: " + failed));
            Thread.sleep(100);
            Future<String> slow = post(http, uniquePrompt());
            String answer = partial.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(answer.startsWith("408") && answer.contains("\"code\":\"request_timeout\""), answer);
            assertTrue(millis < 2_500, "408 after about the body timeout: " + millis + " ms");
            String slowAnswer = slow.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertTrue(slowAnswer.startsWith("200"), "the other stream is answered: " + slowAnswer);
            assertEquals(List.of(), goAways.stream().map(GoAway::getLastStreamId).toList(), "the connection was not closed");
            assertEquals(1, connections.size(), "both streams went over one connection");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
    }

    private static Future<String> post(HttpClient http, String prompt) {
        return H2c.chat(http, chatBody(prompt));
    }

    private Socket socket() throws Exception {
        Socket socket = new Socket(base.getHost(), base.getPort());
        socket.setSoTimeout(5_000);
        return socket;
    }

    private static void assertClosedWithin(Socket socket, long millis) throws Exception {
        long start = System.nanoTime();
        socket.setSoTimeout((int) Math.max(millis, 100) + 2_000);
        int read;
        try {
            read = socket.getInputStream().read();
        } catch (java.net.SocketException reset) {
            read = -1;
        }
        long waited = (System.nanoTime() - start) / 1_000_000;
        assertEquals(-1, read, "the server closed the connection");
        assertTrue(waited <= millis + 1_000, "closed after " + waited + " ms");
    }

    /** One answer with a Content-Length, read to its end. */
    private static String readAnswer(InputStream in) throws Exception {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            head.append((char) c);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).strip());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
