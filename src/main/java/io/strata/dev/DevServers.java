package io.strata.dev;

import java.net.URI;
import java.nio.file.Path;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import io.quarkus.arc.profile.IfBuildProfile;
import io.quarkus.runtime.StartupEvent;

/**
 * Dev mode only ({@code ./mvnw quarkus:dev}): when the configured Redis or Postgres is a loopback
 * address where nothing listens, starts an embedded one there, before anything connects. A server
 * you configured yourself is left alone. The servers outlive live reloads and stop with the JVM.
 */
@IfBuildProfile("dev")
@ApplicationScoped
public class DevServers {

    private static final Logger LOG = Logger.getLogger(DevServers.class);
    private static boolean started;

    void start(@Observes @Priority(1) StartupEvent event) {
        synchronized (DevServers.class) {
            if (started) {
                return;
            }
            started = true;
        }
        var config = ConfigProvider.getConfig();
        URI redis = URI.create(config.getValue("quarkus.redis.hosts", String.class).split(",")[0]);
        if (isLoopback(redis.getHost()) && !EmbeddedServers.listening(redis.getHost(), redis.getPort())) {
            var server = EmbeddedServers.startRedis(redis.getPort());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.stop();
                } catch (Exception ignored) {
                    // the JVM is going away
                }
            }));
            LOG.infof("Dev mode: started embedded Redis on port %d", redis.getPort());
        }
        URI postgres = URI.create(config.getValue("quarkus.datasource.reactive.url", String.class).replaceFirst("^vertx-reactive:", ""));
        if (isLoopback(postgres.getHost()) && !EmbeddedServers.listening(postgres.getHost(), postgres.getPort())) {
            var server = EmbeddedServers.startPostgres(postgres.getPort(), Path.of("target", "dev-postgres"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (Exception ignored) {
                    // the JVM is going away
                }
            }));
            LOG.infof("Dev mode: started embedded Postgres on port %d (data in target/dev-postgres)", postgres.getPort());
        }
    }

    private static boolean isLoopback(String host) {
        return "localhost".equals(host) || "127.0.0.1".equals(host) || "::1".equals(host);
    }
}
