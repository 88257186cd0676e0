import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The load of Strata's fault runs, JDK only: {@code clients} loops posting chat requests for
 * {@code seconds} (or until the server is gone), every request in session {@code session}, and
 * prints one JSON line: requests sent, answers by status, answers that carry an X-Request-Id
 * (each must have its history record), I/O errors (a request lost: a reset, a connection closed
 * under it, a timeout: failures), refusals (no connection, or a 503 {@code shutting_down}, which
 * tells the client to go to another instance: not failures; the latter has its X-Request-Id and
 * record).
 *
 * <pre>
 * java bench/faults/FaultLoad.java --url http://127.0.0.1:18180 --clients 24 --seconds 45 --session s1 [--prompts 200]
 *     [--prompt-prefix "fault run prompt"] [--poison] [--latency-ms 0] [--stop-on-refusal]
 * </pre>
 *
 * Prompts are drawn from a pool of {@code prompts} texts, so the load mixes misses and hits; a
 * prefix of its own gives a pool no earlier run has cached.
 * With --poison, one request in four carries an input Postgres cannot store as it is (a NUL, a lone
 * surrogate, a 3,000-character user, numbers out of range, an overlong UTF-8 sequence).
 */
public final class FaultLoad {

    private static final String[] POISON = {
        "{\"model\":\"gpt-bench\",\"messages\":[{\"role\":\"user\",\"content\":\"nul \\u0000 %s\"}]}",
        "{\"model\":\"gpt-bench\",\"messages\":[{\"role\":\"user\",\"content\":\"lone \\ud800 %s\"}]}",
        "{\"model\":\"gpt\\u0000bench\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
        "{\"model\":\"gpt-bench\",\"te\\u0000mp\":1,\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
        "{\"model\":\"gpt-bench\",\"temperature\":1e200000,\"logit_bias\":{\"50256\":1e-20000},\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
        "{\"model\":\"gpt-bench\",\"user\":\"" + "u".repeat(3_000) + "\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
        "{\"model\":\"gpt-bench\",\"user\":\"a\\u0000b\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
        "{\"model\":\"gpt-bench\",\"max_tokens\":20.0,\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
    };

    public static void main(String[] args) throws Exception {
        String url = "http://127.0.0.1:18180";
        int clients = 24;
        int seconds = 45;
        int prompts = 200;
        String session = "fault-run";
        String prefix = "fault run prompt";
        boolean poison = false;
        boolean stopOnRefusal = false;
        long latencyMs = -1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--url" -> url = args[++i];
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--prompts" -> prompts = Integer.parseInt(args[++i]);
                case "--session" -> session = args[++i];
                case "--prompt-prefix" -> prefix = args[++i];
                case "--poison" -> poison = true;
                case "--stop-on-refusal" -> stopOnRefusal = true;
                case "--latency-ms" -> latencyMs = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
        URI chat = URI.create(url + "/v1/chat/completions");
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        LongAdder sent = new LongAdder();
        LongAdder withId = new LongAdder();
        LongAdder ioErrors = new LongAdder();
        LongAdder refused = new LongAdder();
        LongAdder shuttingDown = new LongAdder();
        LongAdder poisonSent = new LongAdder();
        AtomicLong maxMillis = new AtomicLong();
        Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        Map<String, LongAdder> errors = new ConcurrentHashMap<>();
        Thread[] threads = new Thread[clients];
        final String s = session;
        final String promptPrefix = prefix;
        final int pool = prompts;
        final boolean withPoison = poison;
        final boolean stop = stopOnRefusal;
        final long latency = latencyMs;
        for (int c = 0; c < clients; c++) {
            final int client = c;
            threads[c] = new Thread(() -> {
                java.util.Random random = new java.util.Random(client);
                long n = 0;
                while (System.nanoTime() < deadline) {
                    n++;
                    String prompt = promptPrefix + " " + random.nextInt(pool);
                    boolean isPoison = withPoison && n % 4 == 0;
                    String body = isPoison ? String.format(POISON[(int) ((n / 4 + client) % POISON.length)], prompt + " " + client + "-" + n)
                            : "{\"model\":\"gpt-bench\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
                    HttpRequest.Builder request = HttpRequest.newBuilder(chat).timeout(Duration.ofSeconds(30))
                            .header("Content-Type", "application/json").header("X-Session-Id", s)
                            .POST(HttpRequest.BodyPublishers.ofString(body));
                    if (latency >= 0) {
                        request.header("X-Stub-Latency-Ms", Long.toString(latency));
                    }
                    sent.increment();
                    if (isPoison) {
                        poisonSent.increment();
                    }
                    long start = System.nanoTime();
                    try {
                        HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
                        maxMillis.accumulateAndGet((System.nanoTime() - start) / 1_000_000, Math::max);
                        boolean ours = response.headers().firstValue("X-Request-Id").isPresent();
                        if (response.statusCode() == 503 && new String(response.body(), java.nio.charset.StandardCharsets.UTF_8)
                                .contains("\"shutting_down\"")) {
                            // the instance is draining and sends the client elsewhere: a refusal, recorded like any answer
                            refused.increment();
                            shuttingDown.increment();
                            if (ours) {
                                withId.increment();
                            }
                            errors.computeIfAbsent("503 shutting_down" + (ours ? "" : " without X-Request-Id"), k -> new LongAdder())
                                    .increment();
                            if (stop) {
                                return;
                            }
                        } else if (ours) {
                            withId.increment();
                            statuses.computeIfAbsent(response.statusCode(), k -> new LongAdder()).increment();
                        } else {
                            // not answered by Strata's routes: the HTTP layer's own answer (503 while shutting down)
                            refused.increment();
                            errors.computeIfAbsent("status " + response.statusCode() + " without X-Request-Id", k -> new LongAdder()).increment();
                            if (stop) {
                                return;
                            }
                        }
                    } catch (ConnectException notAccepted) {
                        refused.increment();
                        errors.computeIfAbsent("connect refused", k -> new LongAdder()).increment();
                        if (stop) {
                            return;
                        }
                    } catch (HttpTimeoutException slow) {
                        ioErrors.increment();
                        errors.computeIfAbsent("timeout", k -> new LongAdder()).increment();
                    } catch (Exception lost) {
                        ioErrors.increment();
                        errors.computeIfAbsent(lost.getClass().getSimpleName(), k -> new LongAdder()).increment();
                    }
                }
            });
            threads[c].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        StringBuilder json = new StringBuilder("{\"session\":\"").append(session).append("\",\"requests\":").append(sent.sum())
                .append(",\"poison\":").append(poisonSent.sum()).append(",\"answered_with_id\":").append(withId.sum())
                .append(",\"io_errors\":").append(ioErrors.sum()).append(",\"refused\":").append(refused.sum())
                .append(",\"shutting_down\":").append(shuttingDown.sum())
                .append(",\"slowest_ms\":").append(maxMillis.get()).append(",\"statuses\":{");
        String sep = "";
        for (Map.Entry<Integer, LongAdder> entry : new TreeMap<>(statuses).entrySet()) {
            json.append(sep).append('"').append(entry.getKey()).append("\":").append(entry.getValue().sum());
            sep = ",";
        }
        json.append("},\"errors\":{");
        sep = "";
        for (Map.Entry<String, LongAdder> entry : new TreeMap<>(errors).entrySet()) {
            json.append(sep).append('"').append(entry.getKey()).append("\":").append(entry.getValue().sum());
            sep = ",";
        }
        System.out.println(json.append("}}"));
    }
}
