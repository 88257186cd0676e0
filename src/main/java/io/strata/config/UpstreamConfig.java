package io.strata.config;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The provider Strata calls on a miss, and the guards around that call. */
@ConfigMapping(prefix = "strata.upstream")
public interface UpstreamConfig {

    /** Special base URL value that selects the built-in deterministic provider. */
    String MOCK = "mock";

    /** Provider base URL including the version path (for example {@code https://api.openai.com/v1}), or {@code mock}. */
    @WithDefault("https://api.openai.com/v1")
    String baseUrl();

    /** Provider key sent in {@code replace} mode. */
    Optional<String> apiKey();

    /** {@code forward}: the client's Authorization goes upstream; {@code replace}: Strata sends {@link #apiKey()}. */
    @WithDefault("forward")
    AuthMode authMode();

    /** Longest wait for a whole non-streamed answer (or the first byte of a stream), per attempt. */
    @WithDefault("120s")
    Duration timeout();

    /** Longest wait for a TCP/TLS connection to the provider. */
    @WithDefault("5s")
    Duration connectTimeout();

    /** Pooled connections to the provider; a streamed answer holds one for its whole length. */
    @WithDefault("1024")
    int maxConnections();

    /** Largest upstream answer Strata buffers; a larger one is refused as a bad response. */
    @WithDefault("32M")
    io.quarkus.runtime.configuration.MemorySize maxResponseSize();

    ReplaceMode replaceMode();

    RateLimit rateLimit();

    Bulkhead bulkhead();

    CircuitBreaker circuitBreaker();

    Retry retry();

    Mock mock();

    Budget budget();

    enum AuthMode {
        FORWARD, REPLACE
    }

    /** What the provider key is lent to in {@code replace} mode, beyond the cached endpoints. */
    interface ReplaceMode {
        /**
         * Pass-through requests allowed in replace mode, as {@code METHOD /path} below /v1 (or {@code /path}
         * for any method; a trailing {@code /*} matches everything below); others answer 403 forbidden.
         * The default covers the inference endpoints only: no files, fine-tuning, batches or organisation admin.
         */
        @WithDefault("POST /chat/completions,POST /completions,POST /embeddings,GET /models,GET /models/*,POST /responses,"
                + "POST /moderations,POST /audio/speech,POST /audio/transcriptions,POST /audio/translations,"
                + "POST /images/generations,POST /images/edits,POST /images/variations")
        java.util.List<String> allowedPaths();
    }

    /**
     * Strata's own per-instance limit on upstream calls (hits are never limited). Off by default:
     * a provider's limits are per account, which the shared budget ({@code strata.upstream.budget})
     * enforces across instances.
     */
    interface RateLimit {
        /** Upstream calls allowed per window; 0 (the default) disables the limit. */
        @WithDefault("0")
        int requests();

        /** Length of the window. */
        @WithDefault("1s")
        Duration window();
    }

    /** Concurrent upstream calls, and how many more may wait for a slot. */
    interface Bulkhead {
        /** Upstream calls in flight at once (a stream counts until its headers arrive). */
        @WithDefault("1024")
        int maxConcurrent();

        /** Calls waiting for a slot before Strata answers 429. */
        @WithDefault("1024")
        int queue();
    }

    /** Stops calling a provider that keeps failing. */
    interface CircuitBreaker {
        /** Calls in the rolling window before the breaker may open. */
        @WithDefault("20")
        int requestVolume();

        /** Share of failed calls in the window that opens the breaker. */
        @WithDefault("0.5")
        double failureRatio();

        /** How long the breaker stays open before it lets a trial call through. */
        @WithDefault("10s")
        Duration delay();

        /** Successful trial calls that close it again. */
        @WithDefault("2")
        int successThreshold();
    }

    /** Retries of connect errors, 5xx and short 429s, with jittered exponential backoff. */
    interface Retry {
        /** Retries after the first attempt; 0 disables retrying. */
        @WithDefault("2")
        int maxRetries();

        /** Backoff before the first retry; doubles each time, with full jitter. */
        @WithDefault("200ms")
        Duration initialDelay();

        /** Longest backoff between two attempts. */
        @WithDefault("5s")
        Duration maxDelay();

        /** A provider 429 whose Retry-After is longer than this passes through at once instead of being retried. */
        @WithDefault("10s")
        Duration maxRetryAfter();
    }

    /**
     * A per-minute budget of provider requests and tokens shared by every instance through Redis,
     * so N replicas never spend N times the provider's limits. Tokens are reserved from an estimate
     * before the call and corrected with the reported usage after it. Redis away: the budget is
     * not enforced (the per-instance rate limit still is).
     */
    interface Budget {
        /** Provider requests per minute across all instances; 0 disables. */
        @WithDefault("0")
        int requestsPerMinute();

        /** Provider tokens (prompt + completion) per minute across all instances; 0 disables. */
        @WithDefault("0")
        long tokensPerMinute();

        /** Completion tokens assumed for a request that sets no max_tokens. */
        @WithDefault("256")
        int defaultCompletionTokens();

        /** Longest wait for Redis before the budget is skipped for that call. */
        @WithDefault("50ms")
        Duration timeout();
    }

    /** The built-in {@code mock} provider. */
    interface Mock {
        /** Delay before each mock answer (before the first chunk of a stream). */
        @WithDefault("0ms")
        Duration latency();

        /** Delay between two chunks of a streamed mock answer. */
        @WithDefault("0ms")
        Duration chunkDelay();
    }
}
