package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;

/**
 * A Redis that answers after the lock timeout leaves no single-flight lock behind: the grant that
 * arrives after the caller gave up is released at once, so a later miss on the key never waits for
 * a holder that does not exist. The lock lives 30 s here, so an orphan would still be there when
 * the test looks.
 */
@QuarkusTest
@TestProfile(FlightLockFaultTest.LongLock.class)
class FlightLockFaultTest extends StrataTest {

    public static class LongLock implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strata.cache.single-flight.lock-ttl", "30s");
        }
    }

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @Test
    void aLockGrantedAfterTheTimeoutIsReleasedAndALaterMissIsNotDelayed() throws Exception {
        List<String> bodies = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        Provider.redisDelay(1_500); // past the 50 ms lock timeout, and past the longest extension a deadline gets (1 s)
        try {
            for (int i = 0; i < 2; i++) {
                String body = chatBody(uniquePrompt());
                Response miss = chat(body);
                miss.then().statusCode(200);
                bodies.add(body);
                keys.add(miss.header("X-Cache-Key"));
            }
        } finally {
            Provider.redisDelay(0);
        }
        // Redis ran each SET NX at once (only its reply was late): without the release the locks would live 30 s.
        await("no flight lock left in Redis").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertEquals(List.of(), lockKeys(), "locks nobody holds"));
        assertTrue(lateLocks() >= 1, "the lock was granted after its caller gave up");

        long start = System.nanoTime();
        Response again = chat(bodies.get(0), Map.of("Cache-Control", "no-cache"));
        long millis = (System.nanoTime() - start) / 1_000_000;
        again.then().statusCode(200);
        assertEquals("MISS", status(again));
        assertTrue(millis < 1_000, "a miss on the key did not wait for a lock nobody holds: " + millis + " ms");
    }

    private double lateLocks() {
        for (String line : given().get(metrics).asString().split("\n")) {
            if (line.startsWith("strata_cache_flight_lock_late_total")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    /** KEYS strata:lock:* on the real Redis, not through the fault proxy. */
    private static List<String> lockKeys() throws Exception {
        URI redis = URI.create(ConfigProvider.getConfig().getValue("strata.test.redis-url", String.class));
        try (Socket socket = new Socket(redis.getHost(), redis.getPort())) {
            socket.setSoTimeout(2_000);
            socket.getOutputStream().write("*2\r\n$4\r\nKEYS\r\n$13\r\nstrata:lock:*\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            String header = line(in);
            int count = Integer.parseInt(header.substring(1));
            List<String> found = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                line(in);
                found.add(line(in));
            }
            return found;
        }
    }

    private static String line(InputStream in) throws Exception {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }
}
