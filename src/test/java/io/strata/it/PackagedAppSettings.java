package io.strata.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * What the packaged application needs beyond the test profile, where a @QuarkusTest has a bean to
 * reach for instead:
 * <ul>
 * <li>a free management port: the integration-test launcher sets only the HTTP port
 * (quarkus.http.test-port=0 picks a free one), and without this the app would take port 9000, which
 * parallel builds on one machine would fight over;</li>
 * <li>the production breaker window (20 calls) instead of the test profile's 4: a @QuarkusTest resets
 * the breaker before each test, an integration test cannot, and in a window of 4 the retries of one
 * failing call would open it for the next test.</li>
 * </ul>
 */
public class PackagedAppSettings implements QuarkusTestResourceLifecycleManager {

    static final String MANAGEMENT_PORT = "quarkus.management.port";

    @Override
    public Map<String, String> start() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return Map.of(MANAGEMENT_PORT, Integer.toString(socket.getLocalPort()),
                    "strata.upstream.circuit-breaker.request-volume", "20");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        // nothing held
    }
}
