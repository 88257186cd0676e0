import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.sun.net.httpserver.HttpServer;

/**
 * A TCP proxy in front of Redis or Postgres for Strata's fault runs, JDK only, loopback only:
 *
 * <pre>
 * java bench/faults/FaultProxy.java --listen 16379 --target 127.0.0.1:6379 --control 16390
 * curl 127.0.0.1:16390/down | /up | /freeze | /thaw
 * </pre>
 *
 * down closes every connection and refuses new ones (the server was killed); freeze accepts
 * connections and requests but passes no byte on in either direction until thawed (the server
 * under SIGSTOP, or a network dropping packets). The shared servers themselves are never touched.
 */
public final class FaultProxy {

    private static volatile boolean down;
    private static volatile boolean frozen;
    private static final Set<Socket> OPEN = ConcurrentHashMap.newKeySet();

    public static void main(String[] args) throws Exception {
        int listen = 0;
        int control = 0;
        String targetHost = "127.0.0.1";
        int targetPort = 0;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--listen" -> listen = Integer.parseInt(args[i + 1]);
                case "--control" -> control = Integer.parseInt(args[i + 1]);
                case "--target" -> {
                    String[] hostPort = args[i + 1].split(":");
                    targetHost = hostPort[0];
                    targetPort = Integer.parseInt(hostPort[1]);
                }
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", control), 16);
        http.createContext("/", exchange -> {
            String command = exchange.getRequestURI().getPath().substring(1);
            switch (command) {
                case "down" -> {
                    down = true;
                    OPEN.forEach(FaultProxy::closeQuietly);
                }
                case "up" -> {
                    down = false;
                    frozen = false;
                }
                case "freeze" -> frozen = true;
                case "thaw" -> frozen = false;
                default -> {
                }
            }
            byte[] body = ("{\"down\":" + down + ",\"frozen\":" + frozen + ",\"open\":" + OPEN.size() + "}\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        http.start();
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("127.0.0.1", listen), 512);
            System.out.println("fault proxy 127.0.0.1:" + listen + " -> " + targetHost + ":" + targetPort + ", control 127.0.0.1:" + control);
            while (true) {
                Socket inbound = server.accept();
                if (down) {
                    closeQuietly(inbound);
                    continue;
                }
                String host = targetHost;
                int port = targetPort;
                new Thread(() -> connect(inbound, host, port)).start();
            }
        }
    }

    private static void connect(Socket inbound, String host, int port) {
        try {
            OPEN.add(inbound);
            while (frozen && !down) {
                Thread.sleep(10); // accepted, never answered until thawed
            }
            Socket outbound = new Socket(host, port);
            OPEN.add(outbound);
            new Thread(() -> pipe(inbound, outbound)).start();
            pipe(outbound, inbound);
        } catch (Exception e) {
            closeQuietly(inbound);
        }
    }

    private static void pipe(Socket from, Socket to) {
        byte[] buffer = new byte[65536];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                while (frozen && !down) {
                    Thread.sleep(10);
                }
                if (down) {
                    break;
                }
                out.write(buffer, 0, read);
                out.flush();
            }
        } catch (Exception closed) {
            // either side went away
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket socket) {
        OPEN.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
