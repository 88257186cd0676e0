package io.strata.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A free management port for the packaged application. The integration-test launcher sets only the
 * HTTP port (quarkus.http.test-port=0 picks a free one); without this the packaged app would take
 * port 9000, which parallel builds on one machine would fight over.
 */
public class ManagementPort implements QuarkusTestResourceLifecycleManager {

    static final String PROPERTY = "quarkus.management.port";

    @Override
    public Map<String, String> start() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return Map.of(PROPERTY, Integer.toString(socket.getLocalPort()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        // nothing held
    }
}
