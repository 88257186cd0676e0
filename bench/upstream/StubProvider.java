import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An OpenAI-compatible stub provider for Strata's benchmarks, JDK only.
 *
 * <pre>
 * java bench/upstream/StubProvider.java --port 18000 --latency-ms 0 --chunks 50 --chunk-delay-ms 10 [--threads 1500] [--host 127.0.0.1]
 * </pre>
 *
 * POST /v1/chat/completions waits latency-ms, then answers a chat.completion (or, with
 * "stream": true, an SSE stream of `chunks` content chunks chunk-delay-ms apart, then a finish
 * chunk, a usage chunk when stream_options.include_usage is true, and data: [DONE]). The answer
 * text is derived from a SHA-256 of the request body, so the same body always gets the same
 * answer. GET /v1/models lists one model; GET /stats reports counters (requests, streams, in flight,
 * peak in flight; GET /stats?reset=1 resets the peak).
 *
 * A request may override the command-line settings with the headers X-Stub-Latency-Ms,
 * X-Stub-Chunks and X-Stub-Chunk-Delay-Ms (Strata forwards them), so one stub serves benchmarks
 * with different shapes without restarting anything in front of it.
 */
public final class StubProvider {

    private static final Pattern STREAM = Pattern.compile("\"stream\"\\s*:\\s*true");
    private static final Pattern INCLUDE_USAGE = Pattern.compile("\"include_usage\"\\s*:\\s*true");
    private static final Pattern MODEL = Pattern.compile("\"model\"\\s*:\\s*\"([^\"\\\\]{1,100})\"");
    private static final String[] WORDS = {
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
        "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
        "uniform", "victor", "whiskey", "xray", "yankee", "zulu", "cache", "layer", "stream", "token"};

    private static final AtomicLong requests = new AtomicLong();
    private static final AtomicLong streams = new AtomicLong();
    private static final AtomicLong inFlight = new AtomicLong();
    private static final AtomicLong peakInFlight = new AtomicLong();

    private static int latencyMs = 0;
    private static int chunks = 50;
    private static int chunkDelayMs = 10;

    public static void main(String[] args) throws Exception {
        // Must be set before the server classes read it: SSE events are small writes, and with
        // Nagle's algorithm on, loopback delayed ACKs would add ~40 ms to some of them.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        System.setProperty("sun.net.httpserver.maxIdleConnections", "4096");
        String host = "127.0.0.1";
        int port = 18000;
        int threads = 1500;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--port" -> { port = Integer.parseInt(v); i++; }
                case "--host" -> { host = v; i++; }
                case "--latency-ms" -> { latencyMs = Integer.parseInt(v); i++; }
                case "--chunks" -> { chunks = Integer.parseInt(v); i++; }
                case "--chunk-delay-ms" -> { chunkDelayMs = Integer.parseInt(v); i++; }
                case "--threads" -> { threads = Integer.parseInt(v); i++; }
                default -> {
                    System.err.println("unknown argument " + a);
                    System.exit(2);
                }
            }
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 4096);
        // Every request holds a thread for its whole duration (latency + stream): the pool must
        // be as large as the most concurrent requests a benchmark sends (1,000 held streams).
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
        pool.prestartCoreThread();
        server.setExecutor(pool);
        server.createContext("/v1/chat/completions", StubProvider::chat);
        server.createContext("/v1/models", StubProvider::models);
        server.createContext("/stats", StubProvider::stats);
        server.start();
        System.out.printf("stub listening on %s:%d latency=%dms chunks=%d chunkDelay=%dms threads=%d%n",
                host, port, latencyMs, chunks, chunkDelayMs, threads);
        System.out.flush();
    }

    private static void chat(HttpExchange ex) throws IOException {
        long now = inFlight.incrementAndGet();
        peakInFlight.accumulateAndGet(now, Math::max);
        requests.incrementAndGet();
        try (ex) {
            if (!"POST".equals(ex.getRequestMethod())) {
                send(ex, 405, "application/json", "{\"error\":{\"message\":\"method not allowed\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}");
                return;
            }
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            String text = new String(body, StandardCharsets.UTF_8);
            byte[] hash = sha256(body);
            String id = "chatcmpl-" + hex(hash, 12);
            Matcher m = MODEL.matcher(text);
            String model = m.find() ? m.group(1) : "gpt-4o-mini";
            boolean stream = STREAM.matcher(text).find();
            boolean usage = INCLUDE_USAGE.matcher(text).find();
            int promptTokens = Math.max(1, body.length / 4);
            int latencyMs = header(ex, "X-Stub-Latency-Ms", StubProvider.latencyMs);
            int chunks = header(ex, "X-Stub-Chunks", StubProvider.chunks);
            int chunkDelayMs = header(ex, "X-Stub-Chunk-Delay-Ms", StubProvider.chunkDelayMs);
            sleep(latencyMs);
            if (!stream) {
                StringBuilder content = new StringBuilder();
                for (int i = 0; i < chunks; i++) {
                    content.append(word(hash, i));
                }
                String json = "{\"id\":\"" + id + "\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"" + model
                        + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + content
                        + "\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":" + promptTokens
                        + ",\"completion_tokens\":" + chunks + ",\"total_tokens\":" + (promptTokens + chunks) + "}}";
                send(ex, 200, "application/json", json);
                return;
            }
            streams.incrementAndGet();
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, 0); // chunked
            OutputStream out = ex.getResponseBody();
            String prefix = "data: {\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"" + model + "\",";
            event(out, prefix + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}");
            for (int i = 0; i < chunks; i++) {
                if (i > 0) {
                    sleep(chunkDelayMs);
                }
                event(out, prefix + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + word(hash, i)
                        + "\"},\"logprobs\":null,\"finish_reason\":null}]}");
            }
            event(out, prefix + "\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}");
            if (usage) {
                event(out, prefix + "\"choices\":[],\"usage\":{\"prompt_tokens\":" + promptTokens + ",\"completion_tokens\":" + chunks
                        + ",\"total_tokens\":" + (promptTokens + chunks) + "}}");
            }
            event(out, "data: [DONE]");
            out.close();
        } catch (IOException e) {
            // client went away: nothing to do
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private static void models(HttpExchange ex) throws IOException {
        try (ex) {
            ex.getRequestBody().readAllBytes();
            send(ex, 200, "application/json",
                    "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o-mini\",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"stub\"}]}");
        }
    }

    private static void stats(HttpExchange ex) throws IOException {
        try (ex) {
            String query = ex.getRequestURI().getQuery();
            long peak = peakInFlight.get();
            if (query != null && query.contains("reset=1")) {
                peakInFlight.set(inFlight.get());
            }
            ex.getRequestBody().readAllBytes();
            send(ex, 200, "application/json", "{\"requests\":" + requests.get() + ",\"streams\":" + streams.get()
                    + ",\"in_flight\":" + inFlight.get() + ",\"peak_in_flight\":" + peak + "}");
        }
    }

    private static int header(HttpExchange ex, String name, int fallback) {
        String value = ex.getRequestHeaders().getFirst(name);
        if (value == null) {
            return fallback;
        }
        try {
            return Math.max(0, Integer.parseInt(value.strip()));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static void event(OutputStream out, String data) throws IOException {
        out.write((data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The i-th word of the answer: deterministic per body. */
    private static String word(byte[] hash, int i) {
        int b = hash[i % hash.length] & 0xff;
        return (i == 0 ? "" : " ") + WORDS[(b + i / hash.length) % WORDS.length];
    }

    private static void sleep(int ms) {
        if (ms <= 0) {
            return;
        }
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] sha256(byte[] body) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n && i < bytes.length; i++) {
            sb.append(String.format("%02x", bytes[i]));
        }
        return sb.toString();
    }
}
