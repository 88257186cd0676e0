package io.strata.proxy;

import java.time.Duration;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;

import io.strata.cache.CacheEntry;
import io.strata.cache.CacheKey;
import io.strata.config.CacheConfig;

/** What may be stored, for how long, and the entry a complete answer becomes. */
@Singleton
public class CachePolicy {

    private final CacheConfig config;
    private final long staleGraceMillis;

    public CachePolicy(CacheConfig config) {
        this.config = config;
        this.staleGraceMillis = config.l2().staleGrace().toMillis();
    }

    /** The TTL this request's answer is stored with: its X-Cache-TTL, else the endpoint's default. */
    Duration ttl(Endpoint endpoint, CacheDirectives directives) {
        if (directives.ttl() != null) {
            return directives.ttl();
        }
        return switch (endpoint) {
            case CHAT_COMPLETIONS -> config.ttl().chat();
            case COMPLETIONS -> config.ttl().completions();
            case EMBEDDINGS -> config.ttl().embeddings();
            default -> config.ttl().models();
        };
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

    /** The entry of a complete answer: the provider's bytes as received, its model and usage, its lifetimes. */
    CacheEntry entry(CacheKey key, byte[] bytes, JsonNode answer, Duration ttl, byte[] events, long nowMillis) {
        long expires = nowMillis + ttl.toMillis();
        JsonNode model = answer.get("model");
        JsonNode usage = answer.path("usage");
        return new CacheEntry(key, bytes, nowMillis, expires, expires + staleGraceMillis,
                model != null && model.isTextual() ? model.textValue() : null,
                usage.path("prompt_tokens").asInt(CacheEntry.UNKNOWN),
                usage.path("completion_tokens").asInt(usage.has("prompt_tokens") ? 0 : CacheEntry.UNKNOWN),
                events);
    }
}
