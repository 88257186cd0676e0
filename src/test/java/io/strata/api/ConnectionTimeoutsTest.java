package io.strata.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strata.testing.Provider;
import io.strata.testing.RawHttp;
import io.strata.testing.StrataTest;

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
