package io.strata.testing;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A request sent byte for byte as written (no client normalising its path or framing), and what came back. */
public final class RawHttp {

    private RawHttp() {
    }

    /** Sends {@code request} and reads until the answer's JSON body ends, the server closes, or {@code waitMillis} pass. */
    public static String exchange(String host, int port, byte[] request, long waitMillis) throws Exception {
        try (Socket socket = new Socket(host, port)) {
            socket.setSoTimeout((int) waitMillis);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            return read(socket.getInputStream(), waitMillis);
        }
    }

    public static String exchange(String host, int port, String request) throws Exception {
        return exchange(host, port, request.getBytes(StandardCharsets.ISO_8859_1), 5_000);
    }

    static String read(InputStream in, long waitMillis) throws Exception {
        byte[] buffer = new byte[65536];
        int total = 0;
        long deadline = System.currentTimeMillis() + waitMillis;
        try {
            while (System.currentTimeMillis() < deadline && total < buffer.length) {
                int read = in.read(buffer, total, buffer.length - total);
                if (read < 0) {
                    break;
                }
                total += read;
                String sofar = new String(buffer, 0, total, StandardCharsets.UTF_8);
                int headersEnd = sofar.indexOf("\r\n\r\n");
                if (headersEnd > 0 && (sofar.endsWith("}}") || sofar.endsWith("}}\n") || sofar.contains("Content-Length: 0\r\n"))) {
                    break;
                }
            }
        } catch (java.net.SocketTimeoutException timedOut) {
            // answer what was read
        } catch (java.net.SocketException reset) {
            // a reset after the answer: keep what was read
        }
        return new String(Arrays.copyOf(buffer, total), StandardCharsets.UTF_8);
    }
}
