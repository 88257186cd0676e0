package io.strata.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strata.cache.Layer;
import io.strata.testing.StrataTest;

/**
 * Strata driven past what two cores can serve while Redis is healthy: its own queueing must not
 * read as a failing L1. With a tight L1 timeout and hundreds of requests outstanding, the L1
 * breaker never opens, no L1 operation counts as failed, and every answer is a hit, from L1 but
 * for at most one in a thousand.
 */
@QuarkusTest
@Tag("saturation")
@TestProfile(SaturationTest.TightL1Timeout.class)
class SaturationTest extends StrataTest {

    public static class TightL1Timeout implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strata.cache.l1.timeout", "20ms", "strata.cache.breaker.failure-threshold", "3");
        }
    }

    private static final int OUTSTANDING = 256;
    private static final Duration LOAD = Duration.ofSeconds(6);

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    @Inject
    MeterRegistry registry;

    @Test
    void aSaturatedStrataKeepsServingL1Hits() throws Exception {
        String body = chatBody(uniquePrompt());
        primeCache(body, Map.of());
        double failuresBefore = l1Failures();

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Authorization", "Bearer sk-test-a").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        // a short moderate load first: the claim is about a saturated Strata, not a cold JVM
        List<CompletableFuture<?>> warm = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            warm.add(http.sendAsync(request, HttpResponse.BodyHandlers.discarding()));
            if (warm.size() == 32) {
                CompletableFuture.allOf(warm.toArray(CompletableFuture[]::new)).get();
                warm.clear();
            }
        }
        failuresBefore = l1Failures();

        Semaphore slots = new Semaphore(OUTSTANDING);
        Map<String, Integer> statuses = new ConcurrentHashMap<>();
        AtomicBoolean breakerOpened = new AtomicBoolean();
        List<CompletableFuture<?>> sent = new ArrayList<>();
        long end = System.nanoTime() + LOAD.toNanos();
        int requests = 0;
        while (System.nanoTime() < end) {
            slots.acquire();
            requests++;
            sent.add(http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
                String outcome = failure != null
                        ? "error " + failure.getClass().getSimpleName()
                        : response.statusCode() + " " + response.headers().firstValue("X-Cache-Status").orElse("-");
                statuses.merge(outcome, 1, Integer::sum);
                if (layers.isSkipping(Layer.L1)) {
                    breakerOpened.set(true);
                }
                slots.release();
            }));
            if (sent.size() > 10_000) {
                sent.removeIf(CompletableFuture::isDone);
            }
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get();

        assertTrue(requests > 2 * OUTSTANDING, "the load kept " + OUTSTANDING + " requests outstanding: " + requests);
        assertFalse(breakerOpened.get(), "the L1 breaker never opened");
        assertEquals(failuresBefore, l1Failures(), "no L1 operation counted as failed");
        // Every answer a hit. On two cores the load generator, Redis and Strata share the CPU, so a few
        // lookups in ten thousand may find Redis itself not scheduled for the 20 ms: such a late answer is
        // an L2 hit (counted late, never failed, as asserted above), at most one in a thousand.
        int l1Hits = statuses.getOrDefault("200 HIT-L1", 0);
        int l2Hits = statuses.getOrDefault("200 HIT-L2", 0);
        assertEquals(requests, l1Hits + l2Hits, "every answer a hit: " + statuses);
        assertTrue(l2Hits * 1000 <= requests, "at most one in a thousand lookups late: " + statuses);
    }

    private double l1Failures() {
        var counter = registry.find("strata.cache.layer.failures").tag("layer", "l1").tag("operation", "get").counter();
        return counter == null ? 0 : counter.count();
    }
}
