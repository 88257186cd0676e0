package io.strata.proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.faulttolerance.exceptions.BulkheadException;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.faulttolerance.api.RateLimitException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.api.ClientIdentity;
import io.strata.api.OpenAiErrors;
import io.strata.api.StrataException;
import io.strata.cache.CacheEntry;
import io.strata.cache.CacheKey;
import io.strata.cache.CacheKeyFactory;
import io.strata.cache.CacheLookup;
import io.strata.cache.CacheStatus;
import io.strata.cache.FlightLock;
import io.strata.cache.Layer;
import io.strata.cache.LayeredCache;
import io.strata.config.CacheConfig;
import io.strata.history.ExchangeFacts;
import io.strata.history.HistoryRecorder;
import io.strata.observability.CacheMetrics;
import io.strata.observability.TokenAccounting;
import io.strata.upstream.GuardedUpstream;
import io.strata.upstream.SharedBudget;
import io.strata.upstream.UpstreamBadResponse;
import io.strata.upstream.UpstreamConnectFailure;
import io.strata.upstream.UpstreamRateLimited;
import io.strata.upstream.UpstreamResponse;
import io.strata.upstream.UpstreamServerError;
import io.strata.upstream.sse.ChunkSynthesizer;
import io.strata.upstream.sse.CompletionAssembler;
import io.strata.upstream.sse.SseEvent;
import io.strata.upstream.sse.SseEvents;
import io.strata.upstream.sse.SseSplitter;
import io.strata.upstream.sse.StreamOptions;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;

/**
 * The request path of SPEC §1 for one request: key, layered lookup, single-flight, guarded
 * provider call, answer (streamed as it arrives), asynchronous write-back. A cache layer can only
 * make this faster: every lookup failure is a miss, and when the provider fails an expired entry
 * inside its grace answers STALE.
 */
@ApplicationScoped
public class ProxyPipeline {

    private static final Logger LOG = Logger.getLogger(ProxyPipeline.class);

    private final CacheKeyFactory keys;
    private final LayeredCache cache;
    private final GuardedUpstream upstream;
    private final UpstreamRequestFactory requests;
    private final CacheMetrics metrics;
    private final CacheConfig config;
    private final ObjectMapper json;
    private final TokenAccounting accounting;
    private final RefreshAhead refreshAhead;
    private final SharedBudget budget;
    private final SingleFlight flights;
    private final FlightLock lock;
    private final Vertx vertx;
    private final ChunkSynthesizer synthesizer;
    private final Counter streamDisconnects;
    private final HistoryRecorder history;

    public ProxyPipeline(CacheKeyFactory keys, LayeredCache cache, GuardedUpstream upstream, UpstreamRequestFactory requests,
            CacheMetrics metrics, CacheConfig config, ObjectMapper json, TokenAccounting accounting, RefreshAhead refreshAhead,
            SharedBudget budget, SingleFlight flights, FlightLock lock, Vertx vertx, MeterRegistry registry,
            HistoryRecorder history) {
        this.history = history;
        this.keys = keys;
        this.cache = cache;
        this.upstream = upstream;
        this.requests = requests;
        this.metrics = metrics;
        this.config = config;
        this.json = json;
        this.accounting = accounting;
        this.refreshAhead = refreshAhead;
        this.budget = budget;
        this.flights = flights;
        this.lock = lock;
        this.vertx = vertx;
        this.synthesizer = new ChunkSynthesizer(json);
        this.streamDisconnects = Counter.builder("strata.stream.client.disconnects")
                .description("Streamed clients that left before the end; the provider stream was still read and stored")
                .register(registry);
    }

    /** A cacheable request: chat, completions, embeddings (parsed body) or models (null body). */
    public Uni<ProxyResult> cached(Endpoint endpoint, HttpMethod method, ClientIdentity client, MultiMap clientHeaders,
            byte[] rawBody, JsonNode body, CacheDirectives directives, RequestContext context) {
        Exchange exchange = new Exchange(endpoint, method, clientHeaders, rawBody, body, context);
        if (!config.enabled()) {
            return exchange.passThrough(endpoint.path());
        }
        CacheKey key = keys.key(client.scope(), directives.namespace(), endpoint.id(), body);
        long now = System.currentTimeMillis();
        if (directives.onlyIfCached() && directives.noStore()) {
            return Uni.createFrom().item(exchange.error(notCached(), key, CacheStatus.MISS));
        }
        if (directives.noStore()) {
            return exchange.direct(key);
        }
        Uni<CacheLookup> lookup = directives.skipsLookup() ? Uni.createFrom().item(CacheLookup.miss()) : cache.lookup(key, now);
        return lookup.chain(found -> {
            if (found.isHit() && directives.accepts(found.entry(), now)) {
                CacheEntry entry = found.entry();
                refreshAhead.onHit(entry, now, () -> exchange.refresh(key, entry));
                CacheStatus hit = switch (found.layer()) {
                    case NEAR -> CacheStatus.HIT_NEAR;
                    case L1 -> CacheStatus.HIT_L1;
                    case L2 -> CacheStatus.HIT_L2;
                };
                return Uni.createFrom().item(exchange.fromEntry(entry, hit, now));
            }
            if (directives.onlyIfCached()) {
                return Uni.createFrom().item(exchange.error(notCached(), key, CacheStatus.MISS));
            }
            CacheEntry stale = directives.maxAgeSeconds() < 0 ? found.staleCandidate() : null;
            return exchange.viaFlight(key, stale, directives);
        });
    }

    /** Any other /v1/* request: passed through uncached, streamed as it arrives. */
    public Uni<ProxyResult> passThrough(Endpoint endpoint, HttpMethod method, String path, MultiMap clientHeaders, byte[] rawBody,
            JsonNode body, RequestContext context) {
        return new Exchange(endpoint, method, clientHeaders, rawBody, body, context).passThrough(path);
    }

    /** A request refused before the pipeline (invalid body, bad header): still one record. */
    public void recordRefused(Endpoint endpoint, RequestContext context, JsonNode body, StrataException error) {
        history.record(new ExchangeFacts(context.requestId(), context.startedAtMillis(), context.elapsedMillis(), context.scope(),
                context.sessionId(), context.userId(), endpoint.id(), body, null, error.status(), CacheStatus.BYPASS.header(),
                null, null, null, null, OpenAiErrors.body(error)));
    }

    private static StrataException notCached() {
        return new StrataException(504, "invalid_request_error", "not_cached", null,
                "No cached answer for this request, and Cache-Control: only-if-cached forbids calling the provider.", Map.of());
    }

    /** One request's state through the pipeline. */
    private final class Exchange {
        private final Endpoint endpoint;
        private final HttpMethod method;
        private final MultiMap clientHeaders;
        private final byte[] rawBody;
        private final JsonNode body;
        private final String requestId;
        private final RequestContext context;
        private final long estimatedTokens;
        private final boolean clientStreams;
        private final boolean clientWantsUsage;
        /** What the answer was made of, for the history record. */
        private CacheEntry answered;
        private Flight following;
        private Integer upstreamStatus;

        Exchange(Endpoint endpoint, HttpMethod method, MultiMap clientHeaders, byte[] rawBody, JsonNode body, RequestContext context) {
            this.endpoint = endpoint;
            this.method = method;
            this.clientHeaders = clientHeaders;
            this.rawBody = rawBody;
            this.body = body;
            this.context = context;
            this.requestId = context.requestId();
            this.estimatedTokens = TokenEstimate.of(endpoint, body, rawBody, budget.defaultCompletionTokens());
            this.clientStreams = endpoint.streams() && body != null && body.path("stream").asBoolean(false);
            this.clientWantsUsage = StreamOptions.clientWantsUsage(body);
        }

        // ---- uncached paths ----

        /** Passed through as it is: the provider's answer, live, whatever it is. */
        Uni<ProxyResult> passThrough(String path) {
            return upstream.send(requests.create(method, path, clientHeaders, rawBody, estimatedTokens, true))
                    .map(response -> relay(response, CacheStatus.BYPASS, null))
                    .onFailure().recoverWithItem(failure -> failureAnswer(failure, null, CacheStatus.BYPASS));
        }

        /** no-store: the provider's answer, neither looked up nor stored. */
        Uni<ProxyResult> direct(CacheKey key) {
            return upstream.send(requests.create(method, endpoint.path(), clientHeaders, rawBody, estimatedTokens, clientStreams))
                    .map(response -> {
                        if (response.isOk() && !response.isStreaming()) {
                            parseAnswer(response.body().getBytes()); // garbage is a 502 even when nothing is stored
                        }
                        return relay(response, CacheStatus.BYPASS, key);
                    })
                    .onFailure().recoverWithItem(failure -> failureAnswer(failure, key, CacheStatus.BYPASS));
        }

        // ---- single-flight ----

        Uni<ProxyResult> viaFlight(CacheKey key, CacheEntry stale, CacheDirectives directives) {
            SingleFlight.Joined joined = flights.join(key.hex());
            Flight flight = joined.flight();
            if (joined.leader()) {
                lead(flight, key, directives);
            }
            CacheStatus status = joined.leader() ? CacheStatus.MISS : CacheStatus.COALESCED;
            if (clientStreams) {
                return flight.started().map(live -> live
                        ? liveStream(flight, key, status)
                        : fromOutcome(flight.outcomeNow(), key, status, stale));
            }
            return flight.outcome().map(outcome -> fromOutcome(outcome, key, status, stale));
        }

        /** Makes the flight's call (or waits for another instance's), owned by the flight, not by this client. */
        private void lead(Flight flight, CacheKey key, CacheDirectives directives) {
            Uni<FlightLock.Lease> lease = config.singleFlight().distributed()
                    ? lock.acquire(key.hex())
                    : Uni.createFrom().item(new FlightLock.Lease(FlightLock.Lease.State.UNAVAILABLE, null, null));
            lease.chain(taken -> taken.state() == FlightLock.Lease.State.HELD_ELSEWHERE
                            ? awaitOtherInstance(key, System.currentTimeMillis() + config.singleFlight().remoteWait().toMillis())
                                    .chain(entry -> entry != null
                                            ? Uni.createFrom().item(() -> {
                                                flight.finish(new Flight.Answer(entry, null, true));
                                                return false;
                                            })
                                            : call(flight, key, directives, taken))
                            : call(flight, key, directives, taken))
                    .ifNoItem().after(config.singleFlight().maxStreamDuration()).fail()
                    .subscribe().with(
                            stored -> {
                                if (!stored) {
                                    flights.land(key.hex(), flight);
                                }
                            },
                            failure -> {
                                LOG.debugf(failure, "Provider call for %s ended without an answer", key.hex());
                                flight.finish(new Flight.Failed(failure));
                                flights.land(key.hex(), flight);
                            });
        }

        /** Polls L1 for the entry another instance is fetching; null when it gave up, failed, or the wait ran out. */
        private Uni<CacheEntry> awaitOtherInstance(CacheKey key, long deadline) {
            return cache.peekL1(key, System.currentTimeMillis()).chain(entry -> {
                if (entry != null) {
                    return Uni.createFrom().item(entry);
                }
                if (System.currentTimeMillis() >= deadline) {
                    return Uni.createFrom().nullItem();
                }
                return lock.isHeld(key.hex()).chain(held -> held
                        ? Uni.createFrom().voidItem().onItem().delayIt().by(config.singleFlight().pollInterval())
                                .chain(() -> awaitOtherInstance(key, deadline))
                        // the other instance let go: take one last look, then call ourselves
                        : cache.peekL1(key, System.currentTimeMillis()));
            });
        }

        /** The provider call of a flight; answers whether a write-back was started (the flight lands when it ends). */
        private Uni<Boolean> call(Flight flight, CacheKey key, CacheDirectives directives, FlightLock.Lease lease) {
            boolean streaming = clientStreams;
            byte[] sent = streaming ? StreamOptions.withIncludeUsage(rawBody, body, json) : rawBody;
            long renewal = lease.acquired()
                    ? vertx.setPeriodic(Math.max(100, lock.ttlMillis() / 3), id -> lock.renew(lease))
                    : -1;
            return upstream.send(requests.create(method, endpoint.path(), clientHeaders, sent, estimatedTokens, streaming))
                    .chain(response -> {
                        if (response.isStreaming()) {
                            return consumeStream(flight, key, directives, response);
                        }
                        if (!response.isOk()) {
                            flight.finish(new Flight.Relayed(response));
                            return Uni.createFrom().item(false);
                        }
                        byte[] bytes = response.body().getBytes();
                        JsonNode answer = parseAnswer(bytes);
                        return Uni.createFrom().item(complete(flight, key, directives, bytes, answer, null, response.headers()));
                    })
                    .eventually(() -> {
                        if (renewal >= 0) {
                            vertx.cancelTimer(renewal);
                        }
                        lock.release(lease);
                    });
        }

        /** Reads a provider stream to its end, relaying each event to the flight and assembling the entry. */
        private Uni<Boolean> consumeStream(Flight flight, CacheKey key, CacheDirectives directives, UpstreamResponse response) {
            flight.streamStarted(providerHeaders(response.headers()));
            SseSplitter splitter = new SseSplitter();
            CompletionAssembler assembler = new CompletionAssembler(json, endpoint == Endpoint.CHAT_COMPLETIONS);
            List<SseEvent> received = new ArrayList<>();
            return response.stream()
                    .onItem().transformToIterable(bytes -> splitter.feed(bytes.getBytes()))
                    .onItem().invoke(event -> {
                        received.add(event);
                        assembler.accept(event);
                        flight.event(event);
                    })
                    .onItem().ignoreAsUni()
                    .map(done -> {
                        if (!assembler.complete() || splitter.hasPartialEvent()) {
                            throw new UpstreamStreamCut("The provider's stream ended before the answer was complete");
                        }
                        ObjectNode answer = assembler.assemble();
                        JsonNode usage = answer.path("usage");
                        if (usage.has("total_tokens")) {
                            response.usageReport().accept(usage.get("total_tokens").asLong());
                        }
                        byte[] bytes = toBytes(answer);
                        return complete(flight, key, directives, bytes, answer, SseEvents.encode(received), null);
                    })
                    .onFailure(failure -> !(failure instanceof UpstreamStreamCut))
                    .transform(failure -> new UpstreamStreamCut("The provider's stream broke: " + failure, failure));
        }

        /** A complete answer: account for it, finish the flight, store it. Answers whether a write-back started. */
        private boolean complete(Flight flight, CacheKey key, CacheDirectives directives, byte[] bytes, JsonNode answer,
                byte[] events, MultiMap headers) {
            CacheEntry entry = entry(key, bytes, answer, directives, events);
            accounting.billedByProvider(entry.modelVersion(), entry.promptTokens(), entry.completionTokens());
            flight.finish(new Flight.Answer(entry, headers == null ? null : providerHeaders(headers), false));
            for (int i = 0; i < flight.followers(); i++) {
                accounting.servedFromCache(entry.modelVersion(), entry.promptTokens(), entry.completionTokens());
            }
            if (!directives.allowsStore() || !storable(answer)) {
                return false;
            }
            cache.writeBack(entry, System.currentTimeMillis(), () -> flights.land(key.hex(), flight));
            return true;
        }

        /** Fetches a fresh answer for a popular entry near expiry and stores it with the same TTL. */
        Uni<Boolean> refresh(CacheKey key, CacheEntry previous) {
            Duration ttl = Duration.ofMillis(previous.expiresAtMillis() - previous.createdAtMillis());
            CacheDirectives sameTtl = new CacheDirectives(false, false, -1, false, ttl, key.namespace());
            // a refresh fetches the whole answer: a streamed client's body is sent without its stream fields
            byte[] sent = clientStreams ? withoutStreaming() : rawBody;
            return upstream.send(requests.create(method, endpoint.path(), clientHeaders, sent, estimatedTokens, false)).map(response -> {
                if (!response.isOk() || response.isStreaming()) {
                    return false;
                }
                byte[] bytes = response.body().getBytes();
                JsonNode answer = parseAnswer(bytes);
                if (!storable(answer)) {
                    return false;
                }
                CacheEntry fresh = entry(key, bytes, answer, sameTtl, null);
                accounting.billedByProvider(fresh.modelVersion(), fresh.promptTokens(), fresh.completionTokens());
                cache.writeBack(fresh, System.currentTimeMillis());
                return true;
            });
        }

        private byte[] withoutStreaming() {
            ObjectNode plain = ((ObjectNode) body).deepCopy();
            plain.remove(List.of("stream", "stream_options"));
            return toBytes(plain);
        }

        // ---- answers ----

        private ProxyResult liveStream(Flight flight, CacheKey key, CacheStatus status) {
            MultiMap headers = baseHeaders(status, key);
            headers.set("Content-Type", "text/event-stream");
            headers.set("Cache-Control", "no-cache");
            if (status == CacheStatus.MISS && flight.streamHeaders() != null) {
                flight.streamHeaders().forEach(h -> {
                    if (!h.getKey().equalsIgnoreCase("content-type")) {
                        headers.add(h.getKey(), h.getValue());
                    }
                });
            }
            if (status == CacheStatus.COALESCED) {
                headers.set("Age", "0");
            }
            following = flight;
            upstreamStatus = status == CacheStatus.MISS ? 200 : null;
            return done(new ProxyResult(200, headers, null, flight.read(clientWantsUsage, streamDisconnects::increment), status));
        }

        private ProxyResult fromOutcome(Flight.Outcome outcome, CacheKey key, CacheStatus status, CacheEntry stale) {
            if (outcome instanceof Flight.Answer answer) {
                CacheStatus shown = answer.fromOtherInstance() ? CacheStatus.COALESCED : status;
                if (shown == CacheStatus.COALESCED && answer.fromOtherInstance()) {
                    CacheEntry entry = answer.entry();
                    accounting.servedFromCache(entry.modelVersion(), entry.promptTokens(), entry.completionTokens());
                }
                upstreamStatus = shown == CacheStatus.MISS ? 200 : null;
                ProxyResult result = render(answer.entry(), shown, 0);
                if (shown == CacheStatus.MISS && answer.providerHeaders() != null) {
                    answer.providerHeaders().forEach(h -> {
                        if (!h.getKey().equalsIgnoreCase("content-type")) {
                            result.headers().add(h.getKey(), h.getValue());
                        }
                    });
                }
                if (shown != CacheStatus.COALESCED) {
                    result.headers().remove("Age");
                }
                return done(result);
            }
            if (outcome instanceof Flight.Relayed relayed) {
                if (relayed.response().status() == 429 && stale != null) {
                    return fromEntry(stale, CacheStatus.STALE, System.currentTimeMillis());
                }
                return relay(relayed.response(), status, key);
            }
            Throwable failure = ((Flight.Failed) outcome).failure();
            if (stale != null && !(failure instanceof StrataException)) {
                return fromEntry(stale, CacheStatus.STALE, System.currentTimeMillis());
            }
            return failureAnswer(failure, key, status);
        }

        ProxyResult fromEntry(CacheEntry entry, CacheStatus status, long now) {
            accounting.servedFromCache(entry.modelVersion(), entry.promptTokens(), entry.completionTokens());
            return done(render(entry, status, entry.ageSeconds(now)));
        }

        /** An entry as this client wants it: JSON, or server-sent events (replayed as received, or synthesised). */
        private ProxyResult render(CacheEntry entry, CacheStatus status, long ageSeconds) {
            answered = entry;
            MultiMap headers = baseHeaders(status, entry.key());
            headers.set("Age", Long.toString(ageSeconds));
            if (!clientStreams) {
                headers.set("Content-Type", "application/json");
                return new ProxyResult(200, headers, entry.body(), status);
            }
            headers.set("Content-Type", "text/event-stream");
            headers.set("Cache-Control", "no-cache");
            List<SseEvent> events = entry.streamed()
                    ? SseEvents.decode(entry.events())
                    : synthesizer.chunks(parseAnswer(entry.body()), endpoint == Endpoint.CHAT_COMPLETIONS, clientWantsUsage);
            Multi<Buffer> stream = Multi.createFrom().iterable(events)
                    .select().where(event -> event.kind() != SseEvent.Kind.USAGE || clientWantsUsage)
                    .map(event -> Buffer.buffer(event.raw()));
            return new ProxyResult(200, headers, null, stream, status);
        }

        private ProxyResult relay(UpstreamResponse response, CacheStatus status, CacheKey key) {
            upstreamStatus = response.status();
            MultiMap headers = baseHeaders(status, key);
            copyProviderHeaders(response.headers(), headers, endpoint == Endpoint.OTHER);
            if (response.isStreaming()) {
                return done(new ProxyResult(response.status(), headers, null, response.stream().map(Buffer::newInstance), status));
            }
            return done(new ProxyResult(response.status(), headers, response.body().getBytes(), status));
        }

        private ProxyResult failureAnswer(Throwable failure, CacheKey key, CacheStatus status) {
            if (failure instanceof UpstreamServerError error) {
                return relay(error.response(), status, key);
            }
            if (failure instanceof UpstreamRateLimited limited) {
                return relay(limited.response(), status, key);
            }
            return error(asStrataError(failure), key, status);
        }

        ProxyResult error(StrataException error, CacheKey key, CacheStatus status) {
            MultiMap headers = baseHeaders(status, key);
            headers.set("Content-Type", "application/json");
            error.headers().forEach(headers::set);
            return done(new ProxyResult(error.status(), headers, OpenAiErrors.body(error), status));
        }

        private MultiMap baseHeaders(CacheStatus status, CacheKey key) {
            MultiMap headers = MultiMap.caseInsensitiveMultiMap();
            headers.set("X-Cache-Status", status.header());
            if (key != null) {
                headers.set("X-Cache-Key", key.hex());
            }
            headers.set("X-Request-Id", requestId);
            return headers;
        }

        private ProxyResult done(ProxyResult result) {
            metrics.request(endpoint.id(), result.cacheStatus());
            if (!history.enabled()) {
                return result;
            }
            if (result.stream() == null) {
                record(result, result.body(), answered);
                return result;
            }
            // a stream is recorded when it ends for this client (or, if the client left, when the flight ends)
            java.util.concurrent.atomic.AtomicBoolean recorded = new java.util.concurrent.atomic.AtomicBoolean();
            Multi<Buffer> observed = result.stream().onTermination().invoke(() -> {
                if (recorded.compareAndSet(false, true)) {
                    recordStream(result);
                }
            });
            return new ProxyResult(result.status(), result.headers(), null, observed, result.cacheStatus());
        }

        private void recordStream(ProxyResult result) {
            if (following == null) {
                record(result, answered == null ? null : answered.body(), answered);
                return;
            }
            following.outcome().subscribe().with(outcome -> {
                if (outcome instanceof Flight.Answer answer) {
                    record(result, answer.entry().body(), answer.entry());
                } else if (outcome instanceof Flight.Failed failed) {
                    record(result, OpenAiErrors.body(asStrataError(failed.failure())), null);
                } else {
                    record(result, null, null);
                }
            });
        }

        private void record(ProxyResult result, byte[] response, CacheEntry entry) {
            history.record(new ExchangeFacts(requestId, context.startedAtMillis(), context.elapsedMillis(), context.scope(),
                    context.sessionId(), context.userId(), endpoint.id(), context.received() != null ? context.received() : body,
                    context.sentMessages(), result.status(),
                    result.cacheStatus().header(), entry == null ? null : entry.modelVersion(),
                    entry == null || entry.promptTokens() < 0 ? null : entry.promptTokens(),
                    entry == null || entry.completionTokens() < 0 ? null : entry.completionTokens(),
                    upstreamStatus, response));
        }

        private CacheEntry entry(CacheKey key, byte[] bytes, JsonNode answer, CacheDirectives directives, byte[] events) {
            long now = System.currentTimeMillis();
            Duration ttl = directives.ttl() != null ? directives.ttl() : defaultTtl();
            long expires = now + ttl.toMillis();
            JsonNode model = answer.get("model");
            JsonNode usage = answer.path("usage");
            return new CacheEntry(key, bytes, now, expires, expires + config.l2().staleGrace().toMillis(),
                    model != null && model.isTextual() ? model.textValue() : null,
                    usage.path("prompt_tokens").asInt(CacheEntry.UNKNOWN),
                    usage.path("completion_tokens").asInt(usage.has("prompt_tokens") ? 0 : CacheEntry.UNKNOWN),
                    events);
        }

        private Duration defaultTtl() {
            return switch (endpoint) {
                case CHAT_COMPLETIONS -> config.ttl().chat();
                case COMPLETIONS -> config.ttl().completions();
                case EMBEDDINGS -> config.ttl().embeddings();
                default -> config.ttl().models();
            };
        }
    }

    private JsonNode parseAnswer(byte[] bytes) {
        try {
            JsonNode answer = json.readTree(bytes);
            if (answer == null || !answer.isObject()) {
                throw new UpstreamBadResponse("Provider answered 200 without a JSON object");
            }
            return answer;
        } catch (IOException e) {
            throw new UpstreamBadResponse("Provider answered 200 with a body that is not JSON");
        }
    }

    private byte[] toBytes(JsonNode answer) {
        try {
            return json.writeValueAsBytes(answer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The provider headers a client relies on, from a miss. */
    private static MultiMap providerHeaders(MultiMap from) {
        MultiMap kept = MultiMap.caseInsensitiveMultiMap();
        copyProviderHeaders(from, kept, false);
        return kept;
    }

    /** Only complete answers are stored: not content-filter refusals, not error bodies. */
    static boolean storable(JsonNode answer) {
        if (answer.has("error")) {
            return false;
        }
        for (JsonNode choice : answer.path("choices")) {
            if ("content_filter".equals(choice.path("finish_reason").asText())) {
                return false;
            }
        }
        return true;
    }

    /** Provider headers a client relies on pass through on misses; on a plain pass-through, everything but hop-by-hop. */
    static void copyProviderHeaders(MultiMap from, MultiMap to, boolean everything) {
        for (var header : from) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            boolean keep = everything
                    ? !HOP_BY_HOP.contains(name)
                    : name.equals("content-type") || name.equals("retry-after") || name.equals("retry-after-ms")
                            || name.startsWith("x-ratelimit-") || name.startsWith("openai-");
            if (keep) {
                to.add(header.getKey(), header.getValue());
            }
        }
    }

    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "transfer-encoding",
            "te", "trailer", "upgrade", "proxy-authenticate", "content-length", "x-request-id", "x-cache-status", "x-cache-key",
            "age", "content-encoding");

    static StrataException asStrataError(Throwable failure) {
        if (failure instanceof StrataException error) {
            return error;
        }
        if (failure instanceof CircuitBreakerOpenException) {
            return new StrataException(503, "server_error", "upstream_unavailable", null,
                    "The provider is failing; Strata stopped calling it for a while (circuit open).", Map.of("Retry-After", "10"));
        }
        if (failure instanceof TimeoutException || failure instanceof io.smallrye.mutiny.TimeoutException) {
            return new StrataException(504, "server_error", "upstream_timeout", null, "The provider did not answer in time.", Map.of());
        }
        if (failure instanceof RateLimitException limited) {
            long seconds = Math.max(1, (limited.getRetryAfterMillis() + 999) / 1000);
            return new StrataException(429, "rate_limit_error", "rate_limited", null,
                    "Strata's rate limit for provider calls is reached; retry later.", Map.of("Retry-After", Long.toString(seconds)));
        }
        if (failure instanceof SharedBudget.BudgetExhausted spent) {
            return new StrataException(429, "rate_limit_error", "rate_limited", null,
                    "The shared provider budget for this minute is spent; retry later.",
                    Map.of("Retry-After", Long.toString(spent.retryAfterSeconds())));
        }
        if (failure instanceof BulkheadException) {
            return new StrataException(429, "rate_limit_error", "rate_limited", null,
                    "Too many provider calls in flight; retry later.", Map.of("Retry-After", "1"));
        }
        if (failure instanceof UpstreamConnectFailure) {
            return new StrataException(502, "server_error", "upstream_unavailable", null, "The provider could not be reached.", Map.of());
        }
        if (failure instanceof UpstreamBadResponse || failure instanceof UpstreamStreamCut) {
            return new StrataException(502, "server_error", "upstream_bad_response", null, failure.getMessage(), Map.of());
        }
        LOG.error("Unexpected failure on the provider path", failure);
        return new StrataException(500, "server_error", "internal_error", null, "Strata failed to handle the request.", Map.of());
    }
}
