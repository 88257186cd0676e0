package io.strata.it;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A packaged Strata (the JVM jar, or the native executable when one was built) running as its own process. */
final class StrataProcess implements AutoCloseable {

    private final Process process;
    final int port;
    final int managementPort;

    private StrataProcess(Process process, int port, int managementPort) {
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
    }

    static StrataProcess start(String name, Map<String, String> config) throws IOException, InterruptedException {
        int port = freePort();
        int managementPort = freePort();
        List<String> command = new ArrayList<>();
        String nativeImage = System.getProperty("native.image.path");
        boolean isNative = nativeImage != null && new File(nativeImage).canExecute();
        if (isNative) {
            command.add(nativeImage);
        } else {
            command.add(ProcessHandle.current().info().command().orElse("java"));
        }
        command.add("-Dquarkus.http.port=" + port);
        command.add("-Dquarkus.management.port=" + managementPort);
        config.forEach((key, value) -> command.add("-D" + key + "=" + value));
        if (!isNative) {
            command.add("-jar");
            command.add(Path.of("target", "quarkus-app", "quarkus-run.jar").toString());
        }
        Path logs = Files.createDirectories(Path.of("target", "it-logs"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".log").toFile()).start();
        StrataProcess strata = new StrataProcess(process, port, managementPort);
        strata.awaitReady();
        return strata;
    }

    /** Waits up to {@code atMost} for the process to end by itself; answers its exit code, or null if it still runs. */
    Integer exitCodeWithin(Duration atMost) throws InterruptedException {
        return process.waitFor(atMost.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** What the process logged (stdout and stderr) under target/it-logs. */
    static String log(String name) throws IOException {
        return Files.readString(Path.of("target", "it-logs", name + ".log"));
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private void awaitReady() throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Strata exited with " + process.exitValue() + " (see target/it-logs)");
            }
            try {
                HttpResponse<String> ready = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + managementPort + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (ready.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("Strata did not become ready within 60 s (see target/it-logs)");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Sends SIGTERM (as Kubernetes does when it stops a pod) and returns at once. */
    void terminate() {
        process.destroy();
    }

    /** Waits for the process to exit; false if it is still running after {@code millis}. */
    boolean awaitExit(long millis) throws InterruptedException {
        return process.waitFor(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
