package io.strata.proxy;

import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.faulttolerance.exceptions.BulkheadException;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.smallrye.faulttolerance.api.RateLimitException;
import io.smallrye.mutiny.Uni;
import io.strata.api.ClientIdentity;
import io.strata.api.StrataException;
import io.strata.cache.CacheEntry;
import io.strata.cache.CacheKey;
import io.strata.cache.CacheKeyFactory;
import io.strata.cache.CacheLookup;
import io.strata.cache.CacheStatus;
import io.strata.cache.LayeredCache;
import io.strata.config.CacheConfig;
import io.strata.observability.CacheMetrics;
import io.strata.observability.TokenAccounting;
import io.strata.upstream.GuardedUpstream;
import io.strata.upstream.SharedBudget;
import io.strata.upstream.UpstreamBadResponse;
import io.strata.upstream.UpstreamConnectFailure;
import io.strata.upstream.UpstreamRateLimited;
import io.strata.upstream.UpstreamResponse;
import io.strata.upstream.UpstreamServerError;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;

/**
 * The request path of SPEC §1 for one request: key, layered lookup, guarded upstream call,
 * answer, asynchronous write-back. A cache layer can only make this faster: every lookup failure
 * is a miss, and when the provider fails an expired entry inside its grace answers STALE.
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

    public ProxyPipeline(CacheKeyFactory keys, LayeredCache cache, GuardedUpstream upstream, UpstreamRequestFactory requests,
            CacheMetrics metrics, CacheConfig config, ObjectMapper json, TokenAccounting accounting, RefreshAhead refreshAhead,
            SharedBudget budget) {
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
    }

    /** A cacheable request: chat, completions, embeddings (parsed body) or models (null body). */
    public Uni<ProxyResult> cached(Endpoint endpoint, HttpMethod method, ClientIdentity client, MultiMap clientHeaders,
            byte[] rawBody, JsonNode body, CacheDirectives directives, String requestId) {
        Exchange exchange = new Exchange(endpoint, method, clientHeaders, rawBody, requestId,
                TokenEstimate.of(endpoint, body, rawBody, budget.defaultCompletionTokens()));
        if (!config.enabled() || (body != null && body.path("stream").asBoolean(false))) {
            // Streaming goes through uncached until the streaming cache lands.
            return exchange.passThrough(null);
        }
        CacheKey key = keys.key(client.scope(), directives.namespace(), endpoint.id(), body);
        long now = System.currentTimeMillis();
        if (directives.onlyIfCached() && directives.noStore()) {
            return Uni.createFrom().failure(notCached(key, requestId));
        }
        if (directives.noStore()) {
            return exchange.fetch(key, null, directives, false, CacheStatus.BYPASS);
        }
        Uni<CacheLookup> lookup = directives.skipsLookup() ? Uni.createFrom().item(CacheLookup.miss()) : cache.lookup(key, now);
        return lookup.chain(found -> {
            if (found.isHit() && directives.accepts(found.entry(), now)) {
                CacheStatus status = found.layer() == io.strata.cache.Layer.L1 ? CacheStatus.HIT_L1 : CacheStatus.HIT_L2;
                CacheEntry entry = found.entry();
                refreshAhead.onHit(entry, now, () -> exchange.refresh(key, entry));
                return Uni.createFrom().item(exchange.fromEntry(entry, status, now));
            }
            if (directives.onlyIfCached()) {
                return Uni.createFrom().failure(notCached(key, requestId));
            }
            CacheEntry stale = directives.maxAgeSeconds() < 0 ? found.staleCandidate() : null;
            return exchange.fetch(key, stale, directives, true, CacheStatus.MISS);
        });
    }

    /** Any other /v1/* request: passed through uncached. */
    public Uni<ProxyResult> passThrough(Endpoint endpoint, HttpMethod method, String path, MultiMap clientHeaders, byte[] rawBody,
            String requestId) {
        return new Exchange(endpoint, method, clientHeaders, rawBody, requestId,
                TokenEstimate.of(endpoint, null, rawBody, budget.defaultCompletionTokens())).passThrough(path);
    }

    private StrataException notCached(CacheKey key, String requestId) {
        return new StrataException(504, "invalid_request_error", "not_cached", null,
                "No cached answer for this request, and Cache-Control: only-if-cached forbids calling the provider.",
                Map.of("X-Cache-Status", CacheStatus.MISS.header(), "X-Cache-Key", key.hex(), "X-Request-Id", requestId));
    }

    /** One request's state through the pipeline. */
    private final class Exchange {
        private final Endpoint endpoint;
        private final HttpMethod method;
        private final MultiMap clientHeaders;
        private final byte[] rawBody;
        private final String requestId;
        private final long estimatedTokens;

        Exchange(Endpoint endpoint, HttpMethod method, MultiMap clientHeaders, byte[] rawBody, String requestId,
                long estimatedTokens) {
            this.estimatedTokens = estimatedTokens;
            this.endpoint = endpoint;
            this.method = method;
            this.clientHeaders = clientHeaders;
            this.rawBody = rawBody;
            this.requestId = requestId;
        }

        Uni<ProxyResult> passThrough(String path) {
            String upstreamPath = path != null ? path : endpoint.path();
            return upstream.send(requests.create(method, upstreamPath, clientHeaders, rawBody, estimatedTokens))
                    .map(response -> relay(response, CacheStatus.BYPASS, null))
                    .onFailure().recoverWithItem(failure -> failureAnswer(failure, null));
        }

        Uni<ProxyResult> fetch(CacheKey key, CacheEntry stale, CacheDirectives directives, boolean store, CacheStatus status) {
            return upstream.send(requests.create(method, endpoint.path(), clientHeaders, rawBody, estimatedTokens))
                    .map(response -> {
                        if (response.status() == 429 && stale != null) {
                            return fromEntry(stale, CacheStatus.STALE, System.currentTimeMillis());
                        }
                        if (!response.isOk()) {
                            return relay(response, status, key);
                        }
                        JsonNode answer = parseAnswer(response);
                        CacheEntry fresh = entry(key, response, answer, directives);
                        accounting.billedByProvider(fresh.modelVersion(), fresh.promptTokens(), fresh.completionTokens());
                        if (store && directives.allowsStore() && storable(answer)) {
                            cache.writeBack(fresh, System.currentTimeMillis());
                        }
                        return relay(response, status, key);
                    })
                    .onFailure().recoverWithItem(failure -> stale != null && !(failure instanceof StrataException)
                            ? fromEntry(stale, CacheStatus.STALE, System.currentTimeMillis())
                            : failureAnswer(failure, key));
        }

        /** Fetches a fresh answer for a popular entry near expiry and stores it with the same TTL. */
        Uni<Boolean> refresh(CacheKey key, CacheEntry previous) {
            Duration ttl = Duration.ofMillis(previous.expiresAtMillis() - previous.createdAtMillis());
            CacheDirectives sameTtl = new CacheDirectives(false, false, -1, false, ttl, key.namespace());
            return upstream.send(requests.create(method, endpoint.path(), clientHeaders, rawBody, estimatedTokens)).map(response -> {
                if (!response.isOk()) {
                    return false;
                }
                JsonNode answer = parseAnswer(response);
                if (!storable(answer)) {
                    return false;
                }
                CacheEntry fresh = entry(key, response, answer, sameTtl);
                accounting.billedByProvider(fresh.modelVersion(), fresh.promptTokens(), fresh.completionTokens());
                cache.writeBack(fresh, System.currentTimeMillis());
                return true;
            });
        }

        ProxyResult fromEntry(CacheEntry entry, CacheStatus status, long now) {
            accounting.servedFromCache(entry.modelVersion(), entry.promptTokens(), entry.completionTokens());
            MultiMap headers = baseHeaders(status, entry.key());
            headers.set("Content-Type", "application/json");
            headers.set("Age", Long.toString(entry.ageSeconds(now)));
            return done(new ProxyResult(200, headers, entry.body(), status));
        }

        private ProxyResult relay(UpstreamResponse response, CacheStatus status, CacheKey key) {
            MultiMap headers = baseHeaders(status, key);
            copyProviderHeaders(response.headers(), headers, endpoint == Endpoint.OTHER);
            return done(new ProxyResult(response.status(), headers, response.body().getBytes(), status));
        }

        private ProxyResult failureAnswer(Throwable failure, CacheKey key) {
            if (failure instanceof UpstreamServerError error) {
                return relay(error.response(), key == null ? CacheStatus.BYPASS : CacheStatus.MISS, key);
            }
            if (failure instanceof UpstreamRateLimited limited) {
                return relay(limited.response(), key == null ? CacheStatus.BYPASS : CacheStatus.MISS, key);
            }
            StrataException error = asStrataError(failure);
            MultiMap headers = baseHeaders(key == null ? CacheStatus.BYPASS : CacheStatus.MISS, key);
            headers.set("Content-Type", "application/json");
            error.headers().forEach(headers::set);
            return done(new ProxyResult(error.status(), headers, io.strata.api.OpenAiErrors.body(error),
                    key == null ? CacheStatus.BYPASS : CacheStatus.MISS));
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
            return result;
        }

        private JsonNode parseAnswer(UpstreamResponse response) {
            try {
                JsonNode answer = json.readTree(response.body().getBytes());
                if (answer == null || !answer.isObject()) {
                    throw new UpstreamBadResponse("Provider answered 200 without a JSON object");
                }
                return answer;
            } catch (IOException e) {
                throw new UpstreamBadResponse("Provider answered 200 with a body that is not JSON");
            }
        }

        private CacheEntry entry(CacheKey key, UpstreamResponse response, JsonNode answer, CacheDirectives directives) {
            long now = System.currentTimeMillis();
            Duration ttl = directives.ttl() != null ? directives.ttl() : defaultTtl();
            long expires = now + ttl.toMillis();
            JsonNode model = answer.get("model");
            JsonNode usage = answer.path("usage");
            return new CacheEntry(key, response.body().getBytes(), now, expires, expires + config.l2().staleGrace().toMillis(),
                    model != null && model.isTextual() ? model.textValue() : null,
                    usage.path("prompt_tokens").asInt(CacheEntry.UNKNOWN),
                    usage.path("completion_tokens").asInt(usage.has("prompt_tokens") ? 0 : CacheEntry.UNKNOWN));
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

    /** Only complete answers are stored: not content-filter refusals, not truncated error-like bodies. */
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

    private static final java.util.Set<String> HOP_BY_HOP = java.util.Set.of("connection", "keep-alive", "transfer-encoding",
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
        if (failure instanceof TimeoutException) {
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
        if (failure instanceof UpstreamBadResponse bad) {
            return new StrataException(502, "server_error", "upstream_bad_response", null, bad.getMessage(), Map.of());
        }
        LOG.error("Unexpected failure on the provider path", failure);
        return new StrataException(500, "server_error", "internal_error", null, "Strata failed to handle the request.", Map.of());
    }
}
