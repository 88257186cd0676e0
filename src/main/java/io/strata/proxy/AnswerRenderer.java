package io.strata.proxy;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.Unpooled;
import io.smallrye.mutiny.Multi;
import io.strata.cache.CacheEntry;
import io.strata.cache.CacheKey;
import io.strata.cache.CacheStatus;
import io.strata.config.UpstreamConfig;
import io.strata.core.OpenAiErrors;
import io.strata.core.StrataException;
import io.strata.upstream.UpstreamErrors;
import io.strata.upstream.UpstreamResponse;
import io.strata.upstream.sse.SseEvent;
import io.strata.upstream.sse.SseEvents;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * Turns what the pipeline decided into the answer a client gets: an entry as JSON or as
 * server-sent events (replayed as received, or synthesised from a plain answer), a live flight
 * stream, a relayed provider answer, or an OpenAI-shaped error. Nothing here calls anything.
 */
@Singleton
public class AnswerRenderer {

    /** Headers of a plain pass-through that are not relayed: hop-by-hop, recomputed, or Strata's own. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "transfer-encoding",
            "te", "trailer", "upgrade", "proxy-authenticate", "content-length", "x-request-id", "x-cache-status", "x-cache-key",
            "x-cache-similarity",
            "age", "content-encoding");

    /** The header the official OpenAI SDKs honour before their own retries. */
    static final String SHOULD_RETRY = "x-should-retry";

    private final ObjectMapper json;
    private final Counter streamDisconnects;
    private final boolean guardRetries;

    public AnswerRenderer(ObjectMapper json, MeterRegistry registry, UpstreamConfig upstream) {
        this.json = json;
        this.guardRetries = upstream.retry().maxRetries() > 0;
        this.streamDisconnects = Counter.builder("strata.stream.client.disconnects")
                .description("Streamed clients that left before the end; the provider stream was still read and stored")
                .register(registry);
    }

    /**
     * An entry as this client wants it: JSON, or events.
     *
     * @param ageSeconds the Age header, or -1 for none (a fresh provider answer)
     * @param upstreamStatus 200 when this request's own provider call made the entry, else null
     * @param providerHeaders headers of that call a client relies on, or null
     */
    ProxyResult fromEntry(ProxyRequest request, CacheEntry entry, CacheStatus status, long ageSeconds, Integer upstreamStatus,
            MultiMap providerHeaders) {
        return fromEntry(request, entry, status, ageSeconds, providerHeaders, new Served.Entry(entry, upstreamStatus), null);
    }

    /** An entry that answers a request whose final user text means the same: its own key, and how close the texts are. */
    ProxyResult semanticHit(ProxyRequest request, CacheEntry entry, double similarity, long ageSeconds) {
        return fromEntry(request, entry, CacheStatus.HIT_SEMANTIC, ageSeconds, null, new Served.SemanticEntry(entry, similarity),
                similarity(similarity));
    }

    /** The cosine as X-Cache-Similarity shows it: four decimals, rounded down so a shown value never exceeds the real one. */
    static String similarity(double similarity) {
        return new java.math.BigDecimal(similarity).setScale(4, java.math.RoundingMode.FLOOR).toPlainString();
    }

    private ProxyResult fromEntry(ProxyRequest request, CacheEntry entry, CacheStatus status, long ageSeconds, MultiMap providerHeaders,
            Served served, String similarity) {
        MultiMap headers = baseHeaders(status, entry.key(), request.requestId());
        if (similarity != null) {
            headers.set("X-Cache-Similarity", similarity);
        }
        if (ageSeconds >= 0) {
            headers.set("Age", Long.toString(ageSeconds));
        }
        if (providerHeaders != null) {
            addProviderHeaders(providerHeaders, headers);
        }
        if (!request.clientStreams()) {
            headers.set("Content-Type", "application/json");
            return new ProxyResult(200, headers, wrap(entry.body()), null, status, served);
        }
        headers.set("Content-Type", "text/event-stream");
        headers.set("Cache-Control", "no-cache");
        boolean usage = request.clientWantsUsage();
        List<SseEvent> events = entry.streamed()
                ? SseEvents.decode(entry.events())
                : request.endpoint().streamFormat().synthesize(json, parse(entry.body()), usage);
        Multi<Buffer> stream = Multi.createFrom().iterable(events)
                .select().where(event -> event.kind() != SseEvent.Kind.USAGE || usage)
                .map(event -> wrap(event.raw()));
        return new ProxyResult(200, headers, null, stream, status, served);
    }

    /** A flight's stream as it arrives (MISS for its leader, COALESCED for the others). */
    ProxyResult liveStream(ProxyRequest request, Flight flight, CacheKey key, CacheStatus status) {
        MultiMap headers = baseHeaders(status, key, request.requestId());
        headers.set("Content-Type", "text/event-stream");
        headers.set("Cache-Control", "no-cache");
        if (status == CacheStatus.MISS && flight.streamHeaders() != null) {
            addProviderHeaders(flight.streamHeaders(), headers);
        }
        if (status == CacheStatus.COALESCED) {
            headers.set("Age", "0");
        }
        Multi<Buffer> stream = flight.read(request.endpoint().streamFormat(), request.clientWantsUsage(),
                streamDisconnects::increment);
        return new ProxyResult(200, headers, null, stream, status, new Served.Live(flight, status == CacheStatus.MISS ? 200 : null));
    }

    /** The provider's answer as it is (a non-200, or anything on a pass-through). */
    ProxyResult relay(ProxyRequest request, UpstreamResponse response, CacheStatus status, CacheKey key) {
        MultiMap headers = baseHeaders(status, key, request.requestId());
        boolean everything = request.endpoint() == Endpoint.OTHER;
        for (var header : response.headers()) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (everything ? !HOP_BY_HOP.contains(name) : relied(name)) {
                headers.add(header.getKey(), header.getValue());
            }
        }
        if (response.isStreaming()) {
            return new ProxyResult(response.status(), headers, null, response.stream(), status, new Served.Unrecorded(response.status()));
        }
        return new ProxyResult(response.status(), headers, response.body(), null, status,
                new Served.Body(response.body().getBytes(), response.status()));
    }

    /** A failed call: the provider's own answer when the guard gave up retrying it, else Strata's error. */
    ProxyResult failure(ProxyRequest request, Throwable failure, CacheKey key, CacheStatus status) {
        UpstreamResponse providerAnswer = UpstreamErrors.providerAnswer(failure);
        ProxyResult result = providerAnswer != null
                ? relay(request, providerAnswer, status, key)
                : error(request.requestId(), UpstreamErrors.asStrataError(failure), key, status);
        if (guardRetries && UpstreamErrors.retriedByGuard(failure)) {
            result.headers().set(SHOULD_RETRY, "false"); // Strata retried already: an SDK retrying too would multiply the calls
        }
        return result;
    }

    /** An OpenAI-shaped error Strata itself answers. */
    ProxyResult error(String requestId, StrataException error, CacheKey key, CacheStatus status) {
        MultiMap headers = baseHeaders(status, key, requestId);
        headers.set("Content-Type", "application/json");
        error.headers().forEach(headers::set);
        byte[] body = OpenAiErrors.body(error);
        return new ProxyResult(error.status(), headers, wrap(body), null, status, new Served.Body(body, null));
    }

    private static MultiMap baseHeaders(CacheStatus status, CacheKey key, String requestId) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        headers.set("X-Cache-Status", status.header());
        if (key != null) {
            headers.set("X-Cache-Key", key.hex());
        }
        if (requestId != null) {
            headers.set("X-Request-Id", requestId);
        }
        return headers;
    }

    /** Provider headers a client relies on, from a miss: rate-limit state, request ids, retry advice. */
    static MultiMap reliedHeaders(MultiMap from) {
        MultiMap kept = MultiMap.caseInsensitiveMultiMap();
        for (var header : from) {
            if (relied(header.getKey().toLowerCase(Locale.ROOT))) {
                kept.add(header.getKey(), header.getValue());
            }
        }
        return kept;
    }

    private static boolean relied(String name) {
        return name.equals("content-type") || name.equals("retry-after") || name.equals("retry-after-ms")
                || name.startsWith("x-ratelimit-") || name.startsWith("openai-");
    }

    private static void addProviderHeaders(MultiMap from, MultiMap to) {
        for (var header : from) {
            if (!header.getKey().equalsIgnoreCase("content-type")) {
                to.add(header.getKey(), header.getValue());
            }
        }
    }

    private JsonNode parse(byte[] body) {
        try {
            return json.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("A stored entry is not JSON", e);
        }
    }

    static Buffer wrap(byte[] bytes) {
        return Buffer.buffer(Unpooled.wrappedBuffer(bytes));
    }
}
