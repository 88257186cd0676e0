package io.strata.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * A real PgBouncer (the Debian package's binary) in transaction mode in front of a Postgres, with
 * a server pool smaller than Strata's own pools, so every Strata connection is multiplexed.
 * The binary cannot come from a Maven artifact: {@link #available()} tells whether it is
 * installed ({@code apt-get install pgbouncer}; .ci/run does it).
 */
public final class PgBouncerServer implements AutoCloseable {

    private static final Path BINARY = Path.of(System.getenv().getOrDefault("STRATA_TEST_PGBOUNCER", "/usr/sbin/pgbouncer"));

    private final Process process;
    private final Path directory;
    private final int port;

    private PgBouncerServer(Process process, Path directory, int port) {
        this.process = process;
        this.directory = directory;
        this.port = port;
    }

    public static boolean available() {
        return Files.isExecutable(BINARY);
    }

    /** Starts PgBouncer on a free port, pooling {@code database} of the Postgres at host:port as user {@code user}. */
    public static PgBouncerServer start(String host, int postgresPort, String database, String user, int serverPoolSize)
            throws IOException, InterruptedException {
        Path directory = Files.createTempDirectory("strata-pgbouncer");
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxrwxrwx"));
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path ini = directory.resolve("pgbouncer.ini");
        Files.writeString(ini, """
                [databases]
                %s = host=%s port=%d dbname=%s user=%s
                [pgbouncer]
                listen_addr = 127.0.0.1
                listen_port = %d
                unix_socket_dir =
                auth_type = any
                pool_mode = transaction
                default_pool_size = %d
                max_client_conn = 1000
                ignore_startup_parameters = extra_float_digits,options
                logfile = %s
                pidfile = %s
                """.formatted(database, host, postgresPort, database, user, port, serverPoolSize,
                directory.resolve("pgbouncer.log"), directory.resolve("pgbouncer.pid")));
        Files.setPosixFilePermissions(ini, PosixFilePermissions.fromString("rw-r--r--"));
        List<String> command = new ArrayList<>(List.of(BINARY.toString()));
        if ("root".equals(System.getProperty("user.name"))) {
            command.add("-u"); // PgBouncer refuses to run as root
            command.add("nobody");
        }
        command.add(ini.toString());
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(directory.resolve("stdout.log").toFile()).start();
        PgBouncerServer server = new PgBouncerServer(process, directory, port);
        server.awaitListening();
        return server;
    }

    public int port() {
        return port;
    }

    /** PgBouncer's own log, for a failing test's message. */
    public String log() {
        try {
            return Files.readString(directory.resolve("pgbouncer.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private void awaitListening() throws InterruptedException, IOException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("PgBouncer exited with " + process.exitValue() + ": "
                        + Files.readString(directory.resolve("stdout.log")) + log());
            }
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("PgBouncer did not listen within 10 s: " + log());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        try (var paths = Files.walk(directory)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
