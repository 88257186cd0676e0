package io.strata.proxy;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.mutiny.Uni;
import io.strata.cache.CacheEntry;
import io.strata.cache.CacheKey;
import io.strata.cache.CacheLookup;
import io.strata.cache.FlightLock;
import io.strata.cache.LayeredCache;
import io.strata.config.CacheConfig;
import io.strata.observability.TokenAccounting;
import io.strata.semantic.SemanticCache;
import io.strata.semantic.SemanticProbe;
import io.strata.upstream.UpstreamResponse;
import io.strata.upstream.UpstreamStreamCut;
import io.strata.upstream.sse.SseEvent;
import io.strata.upstream.sse.SseEvents;
import io.strata.upstream.sse.SseSplitter;
import io.strata.upstream.sse.StreamAssembler;

/**
 * The work of a flight's leader, owned by the flight rather than by the client that started it:
 * L2 and the cross-instance lock at once, then another instance's answer or this instance's own
 * provider call, read to its end (streamed or whole), accounted, handed to the flight's readers
 * and written back (with the vector of its final user text when the semantic layer takes part); the
 * lock is released once the entry is in L1, waking the other instances.
 */
@Singleton
public class FlightLeader {

    private static final Logger LOG = Logger.getLogger(FlightLeader.class);

    private final LayeredCache cache;
    private final SingleFlight flights;
    private final ProviderCalls provider;
    private final CachePolicy policy;
    private final TokenAccounting accounting;
    private final InstantSource clock;
    private final Duration maxCallDuration;
    private final SemanticCache semantics;

    public FlightLeader(LayeredCache cache, SingleFlight flights, ProviderCalls provider, CachePolicy policy,
            TokenAccounting accounting, InstantSource clock, CacheConfig config, SemanticCache semantics) {
        this.cache = cache;
        this.semantics = semantics;
        this.flights = flights;
        this.provider = provider;
        this.policy = policy;
        this.accounting = accounting;
        this.clock = clock;
        this.maxCallDuration = config.singleFlight().maxStreamDuration();
    }

    /** Starts the flight's work; subscribed here, once, whatever its readers do. */
    void lead(Flight flight, ProxyRequest request, CacheKey key, boolean lookUpL2, SemanticProbe semantic) {
        long now = clock.millis();
        Uni<CacheLookup> l2 = lookUpL2 ? cache.lookupL2(key, now) : Uni.createFrom().item(CacheLookup.miss());
        Landing landing = new Landing(flight, key);
        Uni.combine().all().unis(l2, flights.lease(key)).asTuple()
                .chain(found -> {
                    CacheLookup inL2 = found.getItem1();
                    FlightLock.Lease lease = found.getItem2();
                    landing.holding(lease);
                    if (inL2.isHit() && request.directives().accepts(inL2.entry(), now)) {
                        flight.finish(new Flight.Answer(inL2.entry(), null, Flight.Source.L2));
                        return Uni.createFrom().item(false);
                    }
                    flight.staleCandidate(inL2.staleCandidate());
                    if (lease.state() == FlightLock.Lease.State.HELD_ELSEWHERE) {
                        return flights.awaitOtherInstance(key).chain(remote -> {
                            landing.holding(remote.lease());
                            if (remote.entry() != null) {
                                flight.finish(new Flight.Answer(remote.entry(), null, Flight.Source.OTHER_INSTANCE));
                                return Uni.createFrom().item(false);
                            }
                            return call(flight, request, key, landing, semantic);
                        });
                    }
                    return call(flight, request, key, landing, semantic);
                })
                .ifNoItem().after(maxCallDuration).fail()
                .subscribe().with(
                        writingBack -> {
                            if (!writingBack) {
                                landing.done(false);
                            }
                        },
                        failure -> {
                            LOG.debugf(failure, "Provider call for %s ended without an answer", key.hex());
                            flight.finish(new Flight.Failed(failure));
                            landing.done(false);
                        });
    }

    /** The provider call; answers whether a write-back started (it lands the flight when it ends). */
    private Uni<Boolean> call(Flight flight, ProxyRequest request, CacheKey key, Landing landing, SemanticProbe semantic) {
        landing.keepAlive();
        return provider.sendForStore(request).chain(response -> {
            if (response.isStreaming()) {
                return consumeStream(flight, request, key, response, landing, semantic);
            }
            if (!response.isOk()) {
                flight.finish(new Flight.Relayed(response));
                return Uni.createFrom().item(false);
            }
            byte[] bytes = response.body().getBytes();
            JsonNode answer = provider.parseAnswer(bytes);
            return Uni.createFrom().item(complete(flight, request, key, bytes, answer, null,
                    AnswerRenderer.reliedHeaders(response.headers()), landing, semantic));
        });
    }

    /** Reads a provider stream to its end, relaying each event to the flight and assembling the entry. */
    private Uni<Boolean> consumeStream(Flight flight, ProxyRequest request, CacheKey key, UpstreamResponse response, Landing landing,
            SemanticProbe semantic) {
        flight.streamStarted(AnswerRenderer.reliedHeaders(response.headers()));
        SseSplitter splitter = new SseSplitter();
        StreamAssembler assembler = request.endpoint().streamFormat().assembler(provider.json());
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
                    return complete(flight, request, key, provider.toBytes(answer), answer, SseEvents.encode(received), null, landing,
                            semantic);
                })
                .onFailure(failure -> !(failure instanceof UpstreamStreamCut))
                .transform(failure -> new UpstreamStreamCut("The provider's stream broke: " + failure, failure));
    }

    /** A complete answer: account for it, hand it to the readers, store it. Answers whether a write-back started. */
    private boolean complete(Flight flight, ProxyRequest request, CacheKey key, byte[] bytes, JsonNode answer, byte[] events,
            io.vertx.core.MultiMap providerHeaders, Landing landing, SemanticProbe semantic) {
        long now = clock.millis();
        CacheEntry entry = policy.entry(key, bytes, answer, policy.ttl(request.endpoint(), request.directives()), events, now);
        accounting.billedByProvider(entry.modelVersion(), entry.promptTokens(), entry.completionTokens());
        flight.finish(new Flight.Answer(entry, providerHeaders, Flight.Source.PROVIDER));
        if (!request.directives().allowsStore() || !CachePolicy.storable(request.endpoint(), answer)) {
            return false;
        }
        cache.writeBack(entry, now, () -> landing.done(true), semantic == null ? null : stored -> semantics.store(semantic, stored));
        return true;
    }

    /** Fetches a fresh answer for a popular entry near expiry and stores it with the same TTL; answers whether it did. */
    Uni<Boolean> refresh(ProxyRequest request, CacheKey key, CacheEntry previous) {
        Duration ttl = Duration.ofMillis(previous.expiresAtMillis() - previous.createdAtMillis());
        return provider.sendWhole(request).map(response -> {
            if (!response.isOk() || response.isStreaming()) {
                return false;
            }
            byte[] bytes = response.body().getBytes();
            JsonNode answer = provider.parseAnswer(bytes);
            if (!CachePolicy.storable(request.endpoint(), answer)) {
                return false;
            }
            long now = clock.millis();
            CacheEntry fresh = policy.entry(key, bytes, answer, ttl, null, now);
            accounting.billedByProvider(fresh.modelVersion(), fresh.promptTokens(), fresh.completionTokens());
            cache.writeBack(fresh, now, () -> {
            });
            return true;
        });
    }

    /** The end of a flight, once: the lock let go (telling other instances whether L1 has the entry), the flight landed. */
    private final class Landing {
        private final Flight flight;
        private final CacheKey key;
        private final AtomicBoolean done = new AtomicBoolean();
        private volatile FlightLock.Lease lease;
        private volatile long keepAlive = -1;

        Landing(Flight flight, CacheKey key) {
            this.flight = flight;
            this.key = key;
        }

        void holding(FlightLock.Lease held) {
            if (lease != null && lease.acquired() && lease != held) {
                flights.letGo(lease, -1, false);
            }
            lease = held;
        }

        void keepAlive() {
            if (lease != null) {
                keepAlive = flights.keepAlive(lease);
            }
        }

        void done(boolean stored) {
            if (done.compareAndSet(false, true)) {
                if (lease != null) {
                    flights.letGo(lease, keepAlive, stored);
                }
                flights.land(key.hex(), flight);
            }
        }
    }
}
