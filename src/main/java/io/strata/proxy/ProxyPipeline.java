package io.strata.proxy;

import java.time.InstantSource;
import java.util.Map;

import jakarta.inject.Singleton;

import io.smallrye.mutiny.Uni;
import io.strata.cache.CacheEntry;
import io.strata.cache.CacheKey;
import io.strata.cache.CacheKeyFactory;
import io.strata.cache.CacheLookup;
import io.strata.cache.CacheStatus;
import io.strata.cache.LayeredCache;
import io.strata.config.CacheConfig;
import io.strata.core.StrataException;
import io.strata.observability.TokenAccounting;
import io.strata.semantic.EmbeddingCaller;
import io.strata.semantic.SemanticCache;
import io.strata.semantic.SemanticHit;
import io.strata.semantic.SemanticProbe;

/**
 * The decision ladder of one cacheable request: key, near cache and L1, then (on a miss) the
 * flight for the key, whose leader looks at L2 and calls the provider. With the semantic layer on,
 * L2 and then an entry that means the same are asked before the flight. A cache layer can only
 * make this faster: every lookup failure is a miss, and when the provider fails an expired entry
 * inside its grace answers STALE.
 */
@Singleton
public class ProxyPipeline {

    private final CacheKeyFactory keys;
    private final LayeredCache cache;
    private final SingleFlight flights;
    private final FlightLeader leader;
    private final UncachedCalls uncached;
    private final AnswerRenderer render;
    private final RefreshAhead refreshAhead;
    private final TokenAccounting accounting;
    private final InstantSource clock;
    private final SemanticCache semantic;
    private final boolean enabled;

    public ProxyPipeline(CacheKeyFactory keys, LayeredCache cache, SingleFlight flights, FlightLeader leader, UncachedCalls uncached,
            AnswerRenderer render, RefreshAhead refreshAhead, TokenAccounting accounting, InstantSource clock, CacheConfig config,
            SemanticCache semantic) {
        this.keys = keys;
        this.semantic = semantic;
        this.cache = cache;
        this.flights = flights;
        this.leader = leader;
        this.uncached = uncached;
        this.render = render;
        this.refreshAhead = refreshAhead;
        this.accounting = accounting;
        this.clock = clock;
        this.enabled = config.enabled();
    }

    /** A cacheable request (chat, completions, responses, embeddings, models). */
    public Uni<ProxyResult> cached(ProxyRequest request) {
        if (!enabled) {
            return uncached.passThrough(request);
        }
        CacheDirectives directives = request.directives();
        CacheKey key = keys.key(request.client().scope(), directives.namespace(), request.endpoint().id(), request.body(),
                request.query());
        if (directives.noStore() || !request.endpoint().cacheable(request.body())) {
            return directives.onlyIfCached() ? Uni.createFrom().item(notCached(request, key)) : uncached.direct(request, key);
        }
        long now = clock.millis();
        if (directives.skipsLookup()) {
            return viaFlight(request, key, false, probe(request, key));
        }
        return cache.lookupFast(key, now).chain(found -> {
            if (found.isHit() && directives.accepts(found.entry(), now)) {
                return Uni.createFrom().item(hit(request, key, found, now));
            }
            SemanticProbe probe = probe(request, key);
            if (probe != null) {
                return afterExactMiss(request, key, probe, now);
            }
            if (directives.onlyIfCached()) {
                return cache.lookupL2(key, now).map(inL2 -> inL2.isHit() && directives.accepts(inL2.entry(), now)
                        ? hit(request, key, inL2, now)
                        : notCached(request, key));
            }
            return viaFlight(request, key, true, null);
        });
    }

    /**
     * The request as the semantic layer sees it (null when it takes no part); made only once the fast layers missed.
     * A request with a query string (Azure's api-version) takes no part: its candidates would have to share it.
     */
    private SemanticProbe probe(ProxyRequest request, CacheKey key) {
        return semantic.enabled() && request.query() == null
                ? semantic.probe(key, request.body(), request.directives().semantic(),
                        new EmbeddingCaller(key.scope(), request.headers()), request.context().sessionId(), request.context().userId())
                : null;
    }

    /**
     * The semantic layer's turn: L2 first (the exact layers always answer before it), then an entry
     * that means the same; else the flight, whose leader stores this request's vector with its answer.
     */
    private Uni<ProxyResult> afterExactMiss(ProxyRequest request, CacheKey key, SemanticProbe probe, long now) {
        CacheDirectives directives = request.directives();
        return cache.lookupL2(key, now).chain(inL2 -> {
            if (inL2.isHit() && directives.accepts(inL2.entry(), now)) {
                return Uni.createFrom().item(hit(request, key, inL2, now));
            }
            return semantic.lookup(probe, now).chain(match -> {
                if (match != null && directives.accepts(match.entry(), now)) {
                    return Uni.createFrom().item(semanticHit(request, match, now));
                }
                if (directives.onlyIfCached()) {
                    return Uni.createFrom().item(notCached(request, key));
                }
                return viaFlight(request, key, true, probe);
            });
        });
    }

    /** No refresh-ahead here: a refresh sends this request, which is not the one the entry was made for. */
    private ProxyResult semanticHit(ProxyRequest request, SemanticHit match, long now) {
        CacheEntry entry = match.entry();
        accounting.servedFromCache(entry.modelVersion(), entry.promptTokens(), entry.completionTokens());
        return render.semanticHit(request, entry, match.similarity(), entry.ageSeconds(now));
    }

    /** Any other /v1/* request: passed through uncached. */
    public Uni<ProxyResult> passThrough(ProxyRequest request) {
        return uncached.passThrough(request);
    }

    private ProxyResult hit(ProxyRequest request, CacheKey key, CacheLookup found, long now) {
        CacheEntry entry = found.entry();
        refreshAhead.onHit(entry, now, () -> leader.refresh(request, key, entry));
        CacheStatus status = switch (found.layer()) {
            case NEAR -> CacheStatus.HIT_NEAR;
            case L1 -> CacheStatus.HIT_L1;
            case L2 -> CacheStatus.HIT_L2;
        };
        return fromCache(request, entry, status, entry.ageSeconds(now));
    }

    /** Joins (or starts) the key's flight and answers from it: live events for a streamed client, else its outcome. */
    private Uni<ProxyResult> viaFlight(ProxyRequest request, CacheKey key, boolean lookUpL2, SemanticProbe probe) {
        SingleFlight.Joined joined = flights.join(key.hex());
        Flight flight = joined.flight();
        if (joined.leader()) {
            leader.lead(flight, request, key, lookUpL2, probe);
        }
        CacheStatus status = joined.leader() ? CacheStatus.MISS : CacheStatus.COALESCED;
        if (request.clientStreams()) {
            return flight.started().map(live -> live
                    ? render.liveStream(request, flight, key, status)
                    : fromOutcome(request, key, flight, status));
        }
        return flight.outcome().map(ignored -> fromOutcome(request, key, flight, status));
    }

    private ProxyResult fromOutcome(ProxyRequest request, CacheKey key, Flight flight, CacheStatus status) {
        Flight.Outcome outcome = flight.outcomeNow();
        CacheEntry stale = request.directives().maxAgeSeconds() < 0 ? flight.stale() : null;
        if (outcome instanceof Flight.Answer answer) {
            CacheEntry entry = answer.entry();
            return switch (answer.source()) {
                case L2 -> fromCache(request, entry, CacheStatus.HIT_L2, entry.ageSeconds(clock.millis()));
                case OTHER_INSTANCE -> fromCache(request, entry, CacheStatus.COALESCED, 0);
                case PROVIDER -> status == CacheStatus.MISS
                        ? render.fromEntry(request, entry, CacheStatus.MISS, -1, 200, answer.providerHeaders())
                        : fromCache(request, entry, CacheStatus.COALESCED, 0);
            };
        }
        if (outcome instanceof Flight.Relayed relayed) {
            if (relayed.response().status() == 429 && stale != null) {
                return fromCache(request, stale, CacheStatus.STALE, stale.ageSeconds(clock.millis()));
            }
            return render.relay(request, relayed.response(), status, key);
        }
        Throwable failure = ((Flight.Failed) outcome).failure();
        if (stale != null && !(failure instanceof StrataException)) {
            return fromCache(request, stale, CacheStatus.STALE, stale.ageSeconds(clock.millis()));
        }
        return render.failure(request, failure, key, status);
    }

    /** An answer the provider did not make for this request: counted as tokens served from cache. */
    private ProxyResult fromCache(ProxyRequest request, CacheEntry entry, CacheStatus status, long ageSeconds) {
        accounting.servedFromCache(entry.modelVersion(), entry.promptTokens(), entry.completionTokens());
        return render.fromEntry(request, entry, status, ageSeconds, null, null);
    }

    private ProxyResult notCached(ProxyRequest request, CacheKey key) {
        return render.error(request.requestId(), new StrataException(504, "invalid_request_error", "not_cached", null,
                "No cached answer for this request, and Cache-Control: only-if-cached forbids calling the provider.", Map.of()),
                key, CacheStatus.MISS);
    }
}
