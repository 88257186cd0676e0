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
            case CHAT_COMPLETIONS, RESPONSES -> config.ttl().chat();
            case COMPLETIONS -> config.ttl().completions();
            case EMBEDDINGS -> config.ttl().embeddings();
            default -> config.ttl().models();
        };
    }

    /**
     * Only complete answers are stored: not error bodies, not content-filter refusals; for the
     * Responses API only {@code status: "completed"} without a refusal in its output (not
     * {@code incomplete}, {@code failed}, or a queued background response).
     */
    static boolean storable(Endpoint endpoint, JsonNode answer) {
        JsonNode error = answer.get("error");
        if (error != null && !error.isNull()) {
            return false;
        }
        if (endpoint == Endpoint.RESPONSES) {
            return "completed".equals(answer.path("status").asText()) && !refuses(answer.path("output"));
        }
        for (JsonNode choice : answer.path("choices")) {
            if ("content_filter".equals(choice.path("finish_reason").asText())) {
                return false;
            }
        }
        return true;
    }

    private static boolean refuses(JsonNode output) {
        for (JsonNode item : output) {
            for (JsonNode part : item.path("content")) {
                if ("refusal".equals(part.path("type").asText())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The entry of a complete answer: the provider's bytes as received, its model and usage, its lifetimes. */
    CacheEntry entry(CacheKey key, byte[] bytes, JsonNode answer, Duration ttl, byte[] events, long nowMillis) {
        long expires = nowMillis + ttl.toMillis();
        JsonNode model = answer.get("model");
        JsonNode usage = answer.path("usage");
        // completions report prompt/completion tokens, the Responses API input/output tokens
        JsonNode input = usage.has("prompt_tokens") ? usage.get("prompt_tokens") : usage.path("input_tokens");
        JsonNode output = usage.has("prompt_tokens") ? usage.path("completion_tokens") : usage.path("output_tokens");
        return new CacheEntry(key, bytes, nowMillis, expires, expires + staleGraceMillis,
                model != null && model.isTextual() ? model.textValue() : null,
                input.asInt(CacheEntry.UNKNOWN),
                output.asInt(input.isNumber() ? 0 : CacheEntry.UNKNOWN),
                events);
    }
}
