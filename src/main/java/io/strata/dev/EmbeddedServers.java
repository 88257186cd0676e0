package io.strata.dev;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import redis.embedded.RedisServer;

/**
 * Real Redis and Postgres servers from Maven artifacts (both ship their server binaries), for
 * dev mode and the tests on a machine with only a JDK. Never part of the packaged application.
 */
public final class EmbeddedServers {

    private EmbeddedServers() {
    }

    /** Starts Redis 6.2 on the port, keeping nothing on disk. */
    public static RedisServer startRedis(int port) {
        try {
            RedisServer server = RedisServer.newRedisServer()
                    .port(port)
                    .bind("127.0.0.1")
                    .setting("save \"\"")
                    .setting("appendonly no")
                    .build();
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start embedded Redis on port " + port, e);
        }
    }

    /** Starts Postgres on the port with its data in the directory (kept between runs when it exists). */
    public static EmbeddedPostgres startPostgres(int port, Path dataDirectory) {
        try {
            Files.createDirectories(dataDirectory);
            return EmbeddedPostgres.builder()
                    .setPort(port)
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("fsync", "off")
                    .setServerConfig("synchronous_commit", "off")
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start embedded Postgres on port " + port, e);
        }
    }

    /** Whether something already accepts connections there. */
    public static boolean listening(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
