package io.strata.testing;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import redis.embedded.RedisServer;

/**
 * A real Redis Cluster of three masters and three replicas: six redis-server processes (the
 * embedded artifact's binary, so a JDK is enough) in cluster mode on free ports, joined and given
 * their slots with the same commands {@code redis-cli --cluster create} sends. A short node
 * timeout makes a replica take over a killed master within a few seconds.
 */
public final class RedisClusterServers implements AutoCloseable {

    private static final int SLOTS = 16384;

    private final List<Integer> ports = new ArrayList<>();
    private final List<RedisServer> servers = new ArrayList<>();
    private final Path directory;

    private RedisClusterServers(Path directory) {
        this.directory = directory;
    }

    public static RedisClusterServers start() throws IOException, InterruptedException {
        RedisClusterServers cluster = new RedisClusterServers(Files.createTempDirectory("strata-redis-cluster"));
        try {
            cluster.startNodes();
            cluster.form();
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void startNodes() throws IOException {
        for (int i = 0; i < 6; i++) {
            int port = freeClusterPort();
            Path dir = Files.createDirectories(directory.resolve("node-" + port));
            RedisServer server = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
                    .setting("cluster-enabled yes")
                    .setting("cluster-config-file " + dir.resolve("nodes.conf"))
                    .setting("cluster-node-timeout 1000")
                    // Redis' default (yes) refuses every slot while one is uncovered: the whole
                    // cluster would be down until the failover, whatever the client does.
                    .setting("cluster-require-full-coverage no")
                    .setting("dir " + dir)
                    .setting("save \"\"")
                    .setting("appendonly no")
                    .build();
            server.start();
            servers.add(server);
            ports.add(port);
        }
    }

    /** Slots split in three over the first three nodes, everyone met, each of the last three a replica of one master. */
    private void form() throws IOException, InterruptedException {
        for (int m = 0; m < 3; m++) {
            List<String> args = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
            for (int slot = m * SLOTS / 3; slot < (m + 1) * SLOTS / 3; slot++) {
                args.add(Integer.toString(slot));
            }
            command(ports.get(m), args.toArray(String[]::new));
        }
        for (int i = 1; i < 6; i++) {
            command(ports.get(i), "CLUSTER", "MEET", "127.0.0.1", Integer.toString(ports.get(0)));
        }
        awaitEveryNode(reply -> reply.lines().filter(line -> !line.isBlank()).count() == 6, "CLUSTER", "NODES");
        for (int r = 3; r < 6; r++) {
            String masterId = command(ports.get(r - 3), "CLUSTER", "MYID").strip();
            command(ports.get(r), "CLUSTER", "REPLICATE", masterId);
        }
        awaitEveryNode(reply -> reply.contains("cluster_state:ok"), "CLUSTER", "INFO");
        for (int m = 0; m < 3; m++) {
            awaitNode(ports.get(m), reply -> reply.contains("connected_slaves:1"), "INFO", "replication");
        }
    }

    /** {@code redis://127.0.0.1:p1,redis://127.0.0.1:p2,…}: the value of quarkus.redis.hosts. */
    public String hosts() {
        return ports.stream().map(port -> "redis://127.0.0.1:" + port).collect(Collectors.joining(","));
    }

    public List<Integer> ports() {
        return List.copyOf(ports);
    }

    /** Ports of the nodes that are masters now. */
    public List<Integer> masters() throws IOException {
        List<Integer> masters = new ArrayList<>();
        for (int i = 0; i < ports.size(); i++) {
            if (servers.get(i).isActive() && command(ports.get(i), "ROLE").startsWith("master")) {
                masters.add(ports.get(i));
            }
        }
        return masters;
    }

    /** Kills the node on this port (SIGTERM of the process, as a crash or eviction would). */
    public void kill(int port) throws IOException {
        servers.get(ports.indexOf(port)).stop();
    }

    /** Waits until every live node reports the cluster healthy again (a replica took over). */
    public void awaitHealthy() throws IOException, InterruptedException {
        awaitEveryNode(reply -> reply.contains("cluster_state:ok"), "CLUSTER", "INFO");
    }

    /** Sends a command with keys to the node that owns them, following MOVED redirections. */
    public String keyCommand(String... args) throws IOException {
        int port = masters().get(0);
        for (int hop = 0; hop < 5; hop++) {
            try {
                return command(port, args);
            } catch (IOException e) {
                String message = String.valueOf(e.getMessage());
                if (!message.startsWith("Redis answered MOVED")) {
                    throw e;
                }
                port = Integer.parseInt(message.substring(message.lastIndexOf(':') + 1).strip());
            }
        }
        throw new IOException("Too many redirections for " + String.join(" ", args));
    }

    /** Keys matching the pattern on every master, by a full SCAN of each. */
    public long countKeys(String pattern) throws IOException {
        long count = 0;
        for (int port : masters()) {
            String cursor = "0";
            do {
                List<String> reply = command(port, "SCAN", cursor, "MATCH", pattern, "COUNT", "1000").lines().toList();
                cursor = reply.get(0);
                count += reply.size() - 1;
            } while (!cursor.equals("0"));
        }
        return count;
    }

    /** Sends one command to one node and answers its reply flattened to text (arrays: one element per line). */
    public static String command(int port, String... args) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
            for (String arg : args) {
                request.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(arg).append("\r\n");
            }
            out.write(request.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            StringBuilder reply = new StringBuilder();
            read(in, reply);
            return reply.toString();
        }
    }

    private static void read(InputStream in, StringBuilder reply) throws IOException {
        String line = line(in);
        switch (line.charAt(0)) {
            case '+', ':' -> reply.append(line.substring(1)).append('\n');
            case '-' -> throw new IOException("Redis answered " + line.substring(1));
            case '$' -> {
                int length = Integer.parseInt(line.substring(1));
                if (length >= 0) {
                    reply.append(new String(in.readNBytes(length), StandardCharsets.UTF_8)).append('\n');
                    line(in);
                }
            }
            case '*' -> {
                int count = Integer.parseInt(line.substring(1));
                for (int i = 0; i < count; i++) {
                    read(in, reply);
                }
            }
            default -> throw new IOException("Unexpected reply " + line);
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) {
                throw new IOException("Redis closed the connection");
            }
            line.append((char) c);
        }
        in.read(); // \n
        return line.toString();
    }

    private void awaitEveryNode(java.util.function.Predicate<String> condition, String... command)
            throws IOException, InterruptedException {
        for (int i = 0; i < ports.size(); i++) {
            if (servers.get(i).isActive()) {
                awaitNode(ports.get(i), condition, command);
            }
        }
    }

    private static void awaitNode(int port, java.util.function.Predicate<String> condition, String... command)
            throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            last = command(port, command);
            if (condition.test(last)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(
                "Redis node " + port + " did not reach the expected state; last " + String.join(" ", command) + ": " + last);
    }

    /** A free port whose cluster bus port (+10000) is free too. */
    private static int freeClusterPort() throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            if (port + 10_000 < 65_536) {
                try (ServerSocket bus = new ServerSocket(port + 10_000)) {
                    return port;
                } catch (IOException busTaken) {
                    // try another
                }
            }
        }
        throw new IOException("No free port pair for a cluster node");
    }

    @Override
    public void close() {
        for (RedisServer server : servers) {
            try {
                if (server.isActive()) {
                    server.stop();
                }
            } catch (IOException ignored) {
                // best effort
            }
        }
        try (var paths = Files.walk(directory)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
