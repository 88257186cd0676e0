import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A dependency-free load client for Strata's benchmarks (Java 17, java.net.http).
 *
 * <pre>
 * # streamed misses: time to first `data:` line and total time
 * java bench/client/StreamBench.java --url http://127.0.0.1:8080/v1/chat/completions --concurrency 16 --requests 400
 * # non-streamed misses (unique bodies): latency and throughput
 * java bench/client/StreamBench.java --mode post --url ... --concurrency 32 --requests 2000
 * # 1,000 concurrent streams held to their end, sampling a process's VmRSS every 200 ms
 * java bench/client/StreamBench.java --url ... --hold 1000 --pid 12345
 * </pre>
 *
 * Every request has a unique prompt (run id + sequence number), so through Strata each one is a
 * MISS. Prints one JSON line on stdout. Options:
 * --url U, --mode stream|post, --concurrency C, --requests N, --warmup N (uncounted, before),
 * --hold N (stream mode, N at once), --pid P (sample /proc/P/status VmRSS every --sample-ms, 200),
 * --max-seconds S (stop issuing after S s, 300), --request-timeout-s S (120), --label L,
 * --run-id ID, --model M, --prompt-bytes B (padding of each prompt, 64), --header "K: V" (repeatable),
 * --expect-chunks N (stream: fewer content chunks than N counts as a failure).
 */
public final class StreamBench {

    // ---- options ----
    private static String url;
    private static String mode = "stream";
    private static int concurrency = 16;
    private static int requests = 200;
    private static int warmup = 0;
    private static int hold = 0;
    private static long pid = -1;
    private static int sampleMs = 200;
    private static int maxSeconds = 300;
    private static int requestTimeoutS = 120;
    private static String label = "";
    private static String runId = Long.toString(System.currentTimeMillis(), 36) + "-" + Long.toString(System.nanoTime() & 0xffffff, 36);
    private static String model = "gpt-4o-mini";
    private static int promptBytes = 64;
    private static int expectChunks = 0;
    private static final List<String[]> headers = new ArrayList<>();

    // ---- state ----
    private static HttpClient client;
    private static final AtomicInteger seq = new AtomicInteger();
    private static final Map<String, AtomicInteger> statuses = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> cacheStatuses = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
    private static final AtomicInteger open = new AtomicInteger();
    private static final AtomicInteger peakOpen = new AtomicInteger();
    private static final AtomicLong rssPeakKb = new AtomicLong(-1);
    private static volatile long rssStartKb = -1;
    private static volatile long rssLastKb = -1;
    private static final AtomicInteger rssSamples = new AtomicInteger();

    /** One finished request: ttfb and total in nanoseconds, ttfb -1 when no data line arrived. */
    record Result(boolean ok, long ttfbNanos, long totalNanos) {
    }

    public static void main(String[] args) throws Exception {
        parse(args);
        client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();

        Thread sampler = null;
        if (pid > 0) {
            rssStartKb = readRssKb(pid);
            sampler = new Thread(StreamBench::sampleRss, "rss-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }

        if (warmup > 0) {
            runLoad(Math.min(concurrency, warmup), warmup, Math.max(10, maxSeconds / 4), false);
            statuses.clear();
            cacheStatuses.clear();
            errors.clear();
            peakOpen.set(open.get());
        }

        long start = System.nanoTime();
        Result[] results;
        if (hold > 0) {
            results = runHold(hold);
        } else {
            results = runLoad(concurrency, requests, maxSeconds, true);
        }
        long elapsed = System.nanoTime() - start;
        if (sampler != null) {
            sampler.interrupt();
            long last = readRssKb(pid);
            if (last > 0) {
                rssLastKb = last;
                rssPeakKb.accumulateAndGet(last, Math::max);
            }
        }
        System.out.println(report(results, elapsed));
        System.out.flush();
        System.exit(0);
    }

    /** N requests by C workers; stops issuing at the deadline; unfinished requests count as failures. */
    private static Result[] runLoad(int workers, int total, int seconds, boolean record) throws InterruptedException {
        Result[] results = new Result[total];
        AtomicInteger next = new AtomicInteger();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            Thread t = new Thread(() -> {
                int i;
                // the deadline first: a worker that stops must not take (and leave unfinished) one more index
                while (System.nanoTime() < deadline && (i = next.getAndIncrement()) < total) {
                    results[i] = one();
                }
            }, "worker-" + w);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        long hardStop = deadline + TimeUnit.SECONDS.toNanos(requestTimeoutS + 5);
        for (Thread t : threads) {
            long left = hardStop - System.nanoTime();
            if (left > 0) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
        int issued = Math.min(next.get(), total);
        if (record) {
            for (int i = 0; i < issued; i++) {
                if (results[i] == null) {
                    count(errors, "unfinished at deadline");
                }
            }
        }
        return Arrays.copyOf(results, issued);
    }

    /** N streams started at once (behind one gate), each on its own thread, all awaited to the end. */
    private static Result[] runHold(int n) throws InterruptedException {
        Result[] results = new Result[n];
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            int idx = i;
            Thread t = new Thread(null, () -> {
                ready.countDown();
                try {
                    gate.await();
                    results[idx] = one();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    done.countDown();
                }
            }, "hold-" + i, 256 * 1024);
            t.setDaemon(true);
            t.start();
        }
        ready.await(30, TimeUnit.SECONDS);
        gate.countDown();
        if (!done.await(maxSeconds, TimeUnit.SECONDS)) {
            count(errors, "unfinished at deadline");
        }
        return results;
    }

    private static Result one() {
        int n = seq.getAndIncrement();
        String body = body(n);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(requestTimeoutS))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (mode.equals("stream")) {
            b.header("Accept", "text/event-stream");
        }
        for (String[] h : headers) {
            b.header(h[0], h[1]);
        }
        HttpRequest request = b.build();
        long t0 = System.nanoTime();
        int nowOpen = open.incrementAndGet();
        peakOpen.accumulateAndGet(nowOpen, Math::max);
        try {
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            count(statuses, Integer.toString(response.statusCode()));
            response.headers().firstValue("x-cache-status").ifPresent(s -> count(cacheStatuses, s));
            long ttfb = -1;
            boolean ok;
            try (InputStream in = response.body()) {
                if (mode.equals("stream")) {
                    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                    String line;
                    boolean doneSeen = false;
                    int contentChunks = 0;
                    while ((line = reader.readLine()) != null) {
                        if (line.startsWith("data:")) {
                            if (ttfb < 0) {
                                ttfb = System.nanoTime() - t0;
                            }
                            if (line.startsWith("data: [DONE]")) {
                                doneSeen = true;
                            } else if (line.contains("\"content\":\"") && !line.contains("\"content\":\"\"")) {
                                contentChunks++;
                            }
                        }
                    }
                    ok = response.statusCode() == 200 && doneSeen && contentChunks >= expectChunks;
                    if (response.statusCode() == 200 && !doneSeen) {
                        count(errors, "stream ended without [DONE]");
                    } else if (response.statusCode() == 200 && contentChunks < expectChunks) {
                        count(errors, "stream had fewer content chunks than expected");
                    }
                } else {
                    byte[] first = in.readNBytes(1);
                    ttfb = System.nanoTime() - t0;
                    byte[] rest = in.readAllBytes();
                    ok = response.statusCode() == 200 && first.length == 1 && rest.length > 0;
                }
            }
            long total = System.nanoTime() - t0;
            if (response.statusCode() != 200) {
                count(errors, "HTTP " + response.statusCode());
            }
            return new Result(ok, ttfb, total);
        } catch (IOException e) {
            count(errors, e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replaceAll("[\"\\\\]", "'"));
            return new Result(false, -1, System.nanoTime() - t0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            count(errors, "interrupted");
            return new Result(false, -1, System.nanoTime() - t0);
        } finally {
            open.decrementAndGet();
        }
    }

    private static String body(int n) {
        StringBuilder prompt = new StringBuilder("Benchmark prompt ").append(runId).append(' ').append(n).append(':');
        while (prompt.length() < promptBytes) {
            prompt.append(" lorem");
        }
        StringBuilder sb = new StringBuilder(256);
        sb.append("{\"model\":\"").append(model).append("\",\"messages\":[{\"role\":\"user\",\"content\":\"")
                .append(prompt).append("\"}]");
        if (mode.equals("stream")) {
            sb.append(",\"stream\":true");
        }
        return sb.append('}').toString();
    }

    private static void sampleRss() {
        while (!Thread.currentThread().isInterrupted()) {
            long kb = readRssKb(pid);
            if (kb > 0) {
                rssLastKb = kb;
                rssPeakKb.accumulateAndGet(kb, Math::max);
                rssSamples.incrementAndGet();
            }
            try {
                Thread.sleep(sampleMs);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static long readRssKb(long p) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + p + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // process gone
        }
        return -1;
    }

    private static String report(Result[] results, long elapsedNanos) {
        int ok = 0;
        int failed = 0;
        long[] ttfb = new long[results.length];
        long[] total = new long[results.length];
        int nt = 0;
        int nTotal = 0;
        for (Result r : results) {
            if (r == null) {
                failed++;
                continue;
            }
            if (r.ok()) {
                ok++;
                if (r.ttfbNanos() >= 0) {
                    ttfb[nt++] = r.ttfbNanos();
                }
                total[nTotal++] = r.totalNanos();
            } else {
                failed++;
            }
        }
        double seconds = elapsedNanos / 1e9;
        StringBuilder sb = new StringBuilder("{");
        sb.append("\"label\":\"").append(label).append("\",");
        sb.append("\"mode\":\"").append(hold > 0 ? "hold" : mode).append("\",");
        sb.append("\"url\":\"").append(url).append("\",");
        sb.append("\"concurrency\":").append(hold > 0 ? hold : concurrency).append(',');
        sb.append("\"requests\":").append(results.length).append(',');
        sb.append("\"ok\":").append(ok).append(',');
        sb.append("\"failed\":").append(failed).append(',');
        sb.append("\"elapsed_s\":").append(fmt(seconds)).append(',');
        sb.append("\"throughput_rps\":").append(fmt(ok / seconds)).append(',');
        sb.append("\"peak_open\":").append(peakOpen.get()).append(',');
        sb.append("\"ttfb_ms\":").append(stats(ttfb, nt)).append(',');
        sb.append("\"total_ms\":").append(stats(total, nTotal)).append(',');
        sb.append("\"status\":").append(counts(statuses)).append(',');
        sb.append("\"cache_status\":").append(counts(cacheStatuses)).append(',');
        sb.append("\"errors\":").append(counts(errors));
        if (pid > 0) {
            sb.append(",\"pid\":").append(pid);
            sb.append(",\"rss_start_mb\":").append(fmt(rssStartKb / 1024.0));
            sb.append(",\"rss_peak_mb\":").append(fmt(rssPeakKb.get() / 1024.0));
            sb.append(",\"rss_end_mb\":").append(fmt(rssLastKb / 1024.0));
            sb.append(",\"rss_samples\":").append(rssSamples.get());
        }
        return sb.append('}').toString();
    }

    private static String stats(long[] values, int n) {
        if (n == 0) {
            return "null";
        }
        long[] v = Arrays.copyOf(values, n);
        Arrays.sort(v);
        double sum = 0;
        for (long x : v) {
            sum += x;
        }
        return "{\"p50\":" + ms(pct(v, 50)) + ",\"p90\":" + ms(pct(v, 90)) + ",\"p99\":" + ms(pct(v, 99))
                + ",\"max\":" + ms(v[n - 1]) + ",\"min\":" + ms(v[0]) + ",\"mean\":" + fmt(sum / n / 1e6) + ",\"n\":" + n + "}";
    }

    /** Nearest-rank percentile. */
    private static long pct(long[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static String ms(long nanos) {
        return fmt(nanos / 1e6);
    }

    private static String fmt(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return "null";
        }
        return String.format(java.util.Locale.ROOT, "%.3f", d);
    }

    private static String counts(Map<String, AtomicInteger> map) {
        StringBuilder sb = new StringBuilder("{");
        new TreeMap<>(map).forEach((k, v) -> {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append('"').append(k.length() > 200 ? k.substring(0, 200) : k).append("\":").append(v.get());
        });
        return sb.append('}').toString();
    }

    private static void count(Map<String, AtomicInteger> map, String key) {
        map.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    private static void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                die("missing value for " + a);
            }
            String v = args[++i];
            switch (a) {
                case "--url" -> url = v;
                case "--mode" -> mode = v;
                case "--concurrency" -> concurrency = Integer.parseInt(v);
                case "--requests" -> requests = Integer.parseInt(v);
                case "--warmup" -> warmup = Integer.parseInt(v);
                case "--hold" -> hold = Integer.parseInt(v);
                case "--pid" -> pid = Long.parseLong(v);
                case "--sample-ms" -> sampleMs = Integer.parseInt(v);
                case "--max-seconds" -> maxSeconds = Integer.parseInt(v);
                case "--request-timeout-s" -> requestTimeoutS = Integer.parseInt(v);
                case "--label" -> label = v.replaceAll("[\"\\\\]", "");
                case "--run-id" -> runId = v;
                case "--model" -> model = v;
                case "--prompt-bytes" -> promptBytes = Integer.parseInt(v);
                case "--expect-chunks" -> expectChunks = Integer.parseInt(v);
                case "--header" -> {
                    int colon = v.indexOf(':');
                    if (colon <= 0) {
                        die("--header wants 'Name: value'");
                    }
                    headers.add(new String[] {v.substring(0, colon).strip(), v.substring(colon + 1).strip()});
                }
                default -> die("unknown option " + a);
            }
        }
        if (url == null) {
            die("--url is required");
        }
        if (!mode.equals("stream") && !mode.equals("post")) {
            die("--mode is stream or post");
        }
        if (hold > 0 && !mode.equals("stream")) {
            die("--hold needs --mode stream");
        }
    }

    private static void die(String message) {
        System.err.println("StreamBench: " + message);
        System.exit(2);
    }
}
