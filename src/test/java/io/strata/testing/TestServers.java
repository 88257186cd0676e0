package io.strata.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.strata.dev.EmbeddedServers;
import io.vertx.core.Vertx;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import redis.embedded.RedisServer;

/**
 * Starts what the tests need: a real Redis and a real Postgres (embedded on free ports, or the
 * servers named by STRATA_TEST_REDIS_URL and STRATA_TEST_POSTGRES_URL), a {@link FaultProxy} in
 * front of each so a test can take them down, and the {@link FakeProvider}.
 */
public class TestServers implements QuarkusTestResourceLifecycleManager {

    private Vertx vertx;
    private RedisServer redis;
    private EmbeddedPostgres postgres;
    private java.nio.file.Path postgresData;

    @Override
    public Map<String, String> start() {
        try {
            vertx = Vertx.vertx();
            URI redisTarget = redisTarget();
            URI postgresTarget = postgresTarget();
            Map<String, FaultProxy> proxies = new HashMap<>();
            FaultProxy redisProxy = new FaultProxy(vertx, redisTarget.getHost(), redisTarget.getPort());
            FaultProxy postgresProxy = new FaultProxy(vertx, postgresTarget.getHost(), postgresTarget.getPort());
            proxies.put("redis", redisProxy);
            proxies.put("postgres", postgresProxy);
            int redisPort = redisProxy.start();
            int postgresPort = postgresProxy.start();
            int providerPort = new FakeProvider(vertx, proxies).start();

            Map<String, String> config = new HashMap<>();
            config.put("quarkus.redis.hosts", "redis://127.0.0.1:" + redisPort);
            config.put("quarkus.datasource.reactive.url", "postgresql://127.0.0.1:" + postgresPort + postgresTarget.getPath());
            config.put("quarkus.datasource.username", System.getenv().getOrDefault("STRATA_TEST_POSTGRES_USER", "postgres"));
            config.put("strata.upstream.base-url", "http://127.0.0.1:" + providerPort + "/v1");
            config.put("strata.test.control-url", "http://127.0.0.1:" + providerPort + "/__control/");
            config.put("strata.test.redis-url", redisTarget.toString());
            return config;
        } catch (Exception e) {
            stop();
            throw new IllegalStateException("Cannot start the test servers", e);
        }
    }

    private URI redisTarget() throws IOException {
        String external = System.getenv("STRATA_TEST_REDIS_URL");
        if (external != null && !external.isBlank()) {
            return URI.create(external);
        }
        int port = freePort();
        redis = EmbeddedServers.startRedis(port);
        return URI.create("redis://127.0.0.1:" + port);
    }

    private URI postgresTarget() throws IOException {
        String external = System.getenv("STRATA_TEST_POSTGRES_URL");
        if (external != null && !external.isBlank()) {
            return URI.create(external);
        }
        int port = freePort();
        postgresData = Files.createTempDirectory("strata-test-pg");
        postgres = EmbeddedServers.startPostgres(port, postgresData);
        return URI.create("postgresql://127.0.0.1:" + port + "/postgres");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void stop() {
        try {
            if (redis != null) {
                redis.stop();
            }
            if (postgres != null) {
                postgres.close();
            }
        } catch (IOException e) {
            // best effort at the end of the run
        }
        if (vertx != null) {
            vertx.close();
        }
        deleteQuietly(postgresData);
    }

    /** Each start makes a fresh data directory: remove it, or test runs fill the disk. */
    private static void deleteQuietly(java.nio.file.Path directory) {
        if (directory == null) {
            return;
        }
        try (var paths = Files.walk(directory)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
