package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.strata.testing.Provider;
import io.strata.testing.TestServers;
import io.vertx.core.json.JsonObject;

/**
 * SIGTERM under continuous load: clients on keep-alive connections, some waiting 1.5 s for the
 * provider (misses), some getting hits back to back, keep sending across the SIGTERM. No request
 * may be cut (an I/O error: a reset, or a connection closed under a request in transit): each is
 * answered, in full (the ones in flight) or with a 503 {@code shutting_down} that tells the client
 * to go elsewhere; every answer with an X-Request-Id has its history record; the process exits
 * within the grace.
 */
class ShutdownUnderLoadIT {

    private static final int SLOW_CLIENTS = 6;
    private static final int FAST_CLIENTS = 6;
    private static final int HOT_PROMPTS = 4;
    private static final long GRACE_MILLIS = 15_000;

    private static TestServers servers;
    private static Map<String, String> config;

    @BeforeAll
    static void start() {
        servers = new TestServers();
        config = new HashMap<>(servers.start());
        System.setProperty("strata.test.control-url", config.get("strata.test.control-url"));
        config.remove("strata.test.control-url");
        config.remove("strata.test.redis-url");
    }

    @AfterAll
    static void stop() {
        servers.stop();
    }

    /** What the clients saw. */
    private static final class Seen {
        final LongAdder sent = new LongAdder();
        final LongAdder withId = new LongAdder();
        final LongAdder ioErrors = new LongAdder();
        final LongAdder refusedConnect = new LongAdder();
        final LongAdder shuttingDown = new LongAdder();
        final LongAdder slowAnsweredAfterSigterm = new LongAdder();
        final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();

        void outcome(String what) {
            outcomes.computeIfAbsent(what, k -> new LongAdder()).increment();
        }

        @Override
        public String toString() {
            return "sent " + sent + ", answered with X-Request-Id " + withId + ", I/O errors " + ioErrors + ", 503 shutting_down "
                    + shuttingDown + ", connect refused " + refusedConnect + ", slow answered after SIGTERM "
                    + slowAnsweredAfterSigterm + ", outcomes " + outcomes;
        }
    }

    @Test
    void sigtermUnderLoadCutsNoRequestAndLosesNoRecord() throws Exception {
        StrataProcess strata = StrataProcess.start("shutdown-under-load", config);
        Provider.reset();
        String session = "sigterm-load-" + UUID.randomUUID();
        String run = UUID.randomUUID().toString();
        HttpClient warm = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (int i = 0; i < HOT_PROMPTS; i++) {
            awaitHit(warm, strata, "hot " + i + " " + run, session);
        }
        Provider.always(new JsonObject().put("delayMs", 1_500)); // every miss now waits 1.5 s for the provider

        Seen seen = new Seen();
        AtomicBoolean sigtermSent = new AtomicBoolean();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < SLOW_CLIENTS + FAST_CLIENTS; c++) {
            boolean slow = c < SLOW_CLIENTS;
            int client = c;
            Thread thread = new Thread(() -> load(strata, session, run, client, slow, seen, sigtermSent), "load-" + c);
            thread.start();
            clients.add(thread);
        }
        Thread.sleep(2_500); // every slow client has a request waiting for the provider, the fast ones loop on hits
        long sigterm = System.nanoTime();
        sigtermSent.set(true);
        strata.terminate();
        boolean exited = strata.awaitExit(GRACE_MILLIS + 10_000);
        long exitMillis = (System.nanoTime() - sigterm) / 1_000_000;
        for (Thread thread : clients) {
            thread.join(30_000);
        }
        if (!exited) {
            strata.close();
        }
        long records = records(session) - HOT_PROMPTS * 2L; // the warm-up's own requests
        String figures = seen + ", records " + records + ", exit after " + exitMillis + " ms";
        System.out.println("ShutdownUnderLoadIT: " + figures);
        Provider.reset();

        assertTrue(exited && exitMillis < GRACE_MILLIS, "the process exits within the grace: " + figures);
        assertEquals(0, seen.ioErrors.sum(), "no request is cut by the shutdown: " + figures);
        // (each slow client has a request at the provider at SIGTERM, unless the machine is so loaded that it had not reached Strata yet)
        assertTrue(seen.slowAnsweredAfterSigterm.sum() > 0, "requests in flight at SIGTERM are answered: " + figures);
        assertTrue(seen.shuttingDown.sum() > 0, "requests arriving during the shutdown are refused with 503 shutting_down: " + figures);
        assertEquals(seen.withId.sum(), records, "every answer with an X-Request-Id has its history record: " + figures);
    }

    /**
     * With a shutdown delay: from SIGTERM on readiness is DOWN while requests are still served as usual,
     * each answer closing its connection (a kept-alive client reconnects, through the Service, elsewhere);
     * after the delay, new requests are refused; no request is cut.
     */
    @Test
    void duringTheShutdownDelayRequestsAreServedWithReadinessDown() throws Exception {
        Map<String, String> delayed = new HashMap<>(config);
        delayed.put("strata.api.shutdown-delay", "3s");
        StrataProcess strata = StrataProcess.start("shutdown-delay", delayed);
        Provider.reset();
        String session = "sigterm-delay-" + UUID.randomUUID();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        HttpResponse<String> before = http.send(chat(strata, "delay " + session, session).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, before.statusCode());
        assertTrue(before.headers().firstValue("Connection").isEmpty(), "kept alive before SIGTERM: " + before.headers().map());

        long sigterm = System.nanoTime();
        strata.terminate();
        Thread.sleep(300);
        HttpResponse<String> ready = http
                .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + strata.managementPort + "/q/health/ready"))
                        .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(503, ready.statusCode(), "readiness is DOWN from SIGTERM on: " + ready.body());
        int servedInDelay = 0;
        long ioErrors = 0;
        List<String> outcomes = new ArrayList<>();
        while (System.nanoTime() - sigterm < 2_500_000_000L) { // inside the delay
            try {
                HttpResponse<String> served = http.send(chat(strata, "delay " + session, session).build(),
                        HttpResponse.BodyHandlers.ofString());
                outcomes.add(served.statusCode() + " " + served.headers().firstValue("Connection").orElse("keep-alive"));
                if (served.statusCode() == 200 && "close".equals(served.headers().firstValue("Connection").orElse(""))) {
                    servedInDelay++;
                }
            } catch (java.io.IOException cut) {
                ioErrors++;
                outcomes.add(cut.toString());
            }
            Thread.sleep(100);
        }
        Thread.sleep(1_000); // past the delay: drained
        String after;
        try {
            HttpResponse<String> refused = http.send(chat(strata, "delay " + session, session).build(),
                    HttpResponse.BodyHandlers.ofString());
            after = refused.statusCode() + " " + refused.body();
        } catch (ConnectException gone) {
            after = "connect refused";
        }
        boolean exited = strata.awaitExit(GRACE_MILLIS);
        if (!exited) {
            strata.close();
        }
        String figures = "served in the delay " + servedInDelay + ", I/O errors " + ioErrors + ", outcomes " + outcomes
                + ", after the delay "
                + after;
        System.out.println("ShutdownUnderLoadIT (delay): " + figures);
        assertTrue(exited, "the process exits after the delay and the drain: " + figures);
        assertEquals(0, ioErrors, figures);
        assertTrue(servedInDelay >= 5, "requests are served during the delay, each closing its connection: " + figures);
        assertTrue(after.equals("connect refused") || after.startsWith("503") && after.contains("shutting_down"),
                "after the delay, requests are refused: " + figures);
    }

    /** Posts until refused: a miss each time (slow), or one of the hot prompts (fast), always on the client's own connection. */
    private static void load(StrataProcess strata, String session, String run, int client, boolean slow, Seen seen,
            AtomicBoolean sigtermSent) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + 40_000_000_000L;
        for (long n = 0; System.nanoTime() < deadline; n++) {
            String prompt = slow ? "slow " + client + " " + n + " " + run : "hot " + (n % HOT_PROMPTS) + " " + run;
            seen.sent.increment();
            try {
                HttpResponse<String> response = http.send(chat(strata, prompt, session).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
                boolean ours = response.headers().firstValue("X-Request-Id").isPresent();
                if (ours) {
                    seen.withId.increment();
                }
                if (response.statusCode() == 503 && response.body().contains("\"shutting_down\"")) {
                    seen.shuttingDown.increment();
                    seen.outcome("503 shutting_down" + (ours ? "" : " without X-Request-Id")
                            + response.headers().firstValue("Retry-After").map(r -> ", Retry-After " + r).orElse(""));
                    return; // a client told to go elsewhere goes elsewhere
                }
                seen.outcome(response.statusCode() + (ours ? "" : " without X-Request-Id"));
                if (slow && sigtermSent.get() && response.statusCode() == 200) { // in flight at SIGTERM, answered since
                    seen.slowAnsweredAfterSigterm.increment();
                }
                if (!ours) {
                    return; // not Strata's answer: the HTTP layer refusing while it stops
                }
            } catch (ConnectException gone) {
                seen.refusedConnect.increment();
                return;
            } catch (Exception cut) {
                seen.ioErrors.increment();
                seen.outcome(cut.getClass().getSimpleName() + (sigtermSent.get() ? " after SIGTERM" : ""));
            }
        }
    }

    private static HttpRequest.Builder chat(StrataProcess strata, String prompt, String session) {
        return HttpRequest.newBuilder(strata.uri("/v1/chat/completions")).header("Content-Type", "application/json")
                .header("X-Session-Id", session)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\""
                        + prompt + "\"}]}"));
    }

    /** Sends the prompt until it is a hit (its write-back landed): two requests recorded per prompt, counted by the caller. */
    private static void awaitHit(HttpClient http, StrataProcess strata, String prompt, String session) throws Exception {
        HttpResponse<String> miss = http.send(chat(strata, prompt, session).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, miss.statusCode(), miss.body());
        Thread.sleep(300);
        HttpResponse<String> hit = http.send(chat(strata, prompt, session).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(hit.headers().firstValue("X-Cache-Status").orElse("").startsWith("HIT"), "warmed: " + hit.headers().map());
    }

    private static long records(String session) throws Exception {
        return SessionRecords.count(config, session);
    }
}
