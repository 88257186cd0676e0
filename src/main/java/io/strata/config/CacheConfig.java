package io.strata.config;

import java.time.Duration;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The layered response cache. */
@ConfigMapping(prefix = "strata.cache")
public interface CacheConfig {

    /** Master switch: off makes every request BYPASS. */
    @WithDefault("true")
    boolean enabled();

    /** {@code per-key}: entries are partitioned by client key; {@code shared}: one cache for all callers. */
    @WithDefault("per-key")
    Scope scope();

    /** How far request text is normalised before it is hashed into the key. */
    @WithDefault("standard")
    Normalization normalization();

    Ttl ttl();

    Near near();

    L1 l1();

    L2 l2();

    LayerBreaker breaker();

    WriteBack writeBack();

    RefreshAhead refreshAhead();

    SingleFlight singleFlight();

    Semantic semantic();

    enum Scope {
        PER_KEY, SHARED
    }

    enum Normalization {
        STRICT, STANDARD, AGGRESSIVE
    }

    /** Default time to live per endpoint, when the request sends no X-Cache-TTL. */
    interface Ttl {
        /** /v1/chat/completions, and /v1/responses (the same kind of answer). */
        @WithDefault("1h")
        Duration chat();

        /** /v1/completions. */
        @WithDefault("1h")
        Duration completions();

        /** /v1/embeddings: deterministic, so long. */
        @WithDefault("7d")
        Duration embeddings();

        /** GET /v1/models. */
        @WithDefault("5m")
        Duration models();

        /** Largest X-Cache-TTL a request may ask for. */
        @WithDefault("30d")
        Duration max();
    }

    /** The optional in-process near cache in front of L1: no network at all for the hottest entries. */
    interface Near {
        @WithDefault("false")
        boolean enabled();

        /** Entries kept in memory; beyond it, some are evicted. */
        @WithDefault("10000")
        int maxEntries();

        /** How long an entry is served from memory before L1 is asked again (bounds staleness across instances). */
        @WithDefault("10s")
        Duration ttl();

        /** Entries larger than this are not kept in memory. */
        @WithDefault("256K")
        MemorySize maxEntrySize();
    }

    /** L1: Redis. */
    interface L1 {
        @WithDefault("true")
        boolean enabled();

        /** Longest time an entry stays in Redis (never longer than its own TTL). */
        @WithDefault("1h")
        Duration maxTtl();

        /** Entries larger than this are kept in L2 only. */
        @WithDefault("1M")
        MemorySize maxEntrySize();

        /** A lookup slower than this counts as a miss. */
        @WithDefault("50ms")
        Duration timeout();

        /** Prefix of every Strata key in Redis. */
        @WithDefault("strata:v1:")
        String keyPrefix();
    }

    /** L2: Postgres. */
    interface L2 {
        @WithDefault("true")
        boolean enabled();

        /** Entries larger than this are not stored at all. */
        @WithDefault("8M")
        MemorySize maxEntrySize();

        /** A lookup slower than this counts as a miss. */
        @WithDefault("100ms")
        Duration timeout();

        /** How long an expired entry is kept to answer STALE when the provider fails. */
        @WithDefault("1d")
        Duration staleGrace();

        /** How often rows past their stale grace are deleted. */
        @WithDefault("10m")
        Duration cleanupInterval();
    }

    /** The per-layer breaker that stops hammering a layer that is down. */
    interface LayerBreaker {
        /** Consecutive failures (errors or timeouts) that open the breaker of a layer. */
        @WithDefault("5")
        int failureThreshold();

        /** How long an open layer is skipped before one trial lookup is let through. */
        @WithDefault("5s")
        Duration openFor();
    }

    /** Asynchronous write-back of fresh answers into L2 and L1. */
    interface WriteBack {
        /** Write-backs in flight at once; beyond that a write-back is dropped and counted. */
        @WithDefault("512")
        int maxInFlight();
    }

    /** Background refresh of entries that are hit often and near expiry, so they never expire under load. */
    interface RefreshAhead {
        @WithDefault("true")
        boolean enabled();

        /** Hits an entry needs (since it was last refreshed) before it is refreshed ahead. */
        @WithDefault("3")
        int minHits();

        /** Refresh once less than this share of the entry's TTL remains. */
        @WithDefault("0.1")
        double remainingRatio();

        /** Refreshes in flight at once; they also pass the provider guard's rate limit. */
        @WithDefault("4")
        int maxInFlight();

        /** Keys whose hits are counted at once; the counts are forgotten beyond this. */
        @WithDefault("10000")
        int maxTrackedKeys();
    }

    /** Identical requests in flight share one provider call; across instances through a Redis lock. */
    interface SingleFlight {
        /** Coalesce identical requests inside this instance. */
        @WithDefault("true")
        boolean enabled();

        /** Also coalesce across instances: the leader holds a Redis lock, the others wait for its entry in L1. */
        @WithDefault("true")
        boolean distributed();

        /** Lifetime of the Redis lock; the leader renews it every third of it while its call runs, so a crashed holder is noticed within it. */
        @WithDefault("3s")
        Duration lockTtl();

        /** Longest time a request waits for another instance's answer before calling the provider itself. */
        @WithDefault("30s")
        Duration remoteWait();

        /**
         * How often a request waiting for another instance checks that the lock is still held
         * (the answer itself is announced through Redis pub/sub; this only catches a holder that
         * vanished without a word).
         */
        @WithDefault("500ms")
        Duration lockCheckInterval();

        /** Longest wait for Redis when taking the lock; slower counts as unavailable (coalescing stays local; a late grant is released). */
        @WithDefault("50ms")
        Duration lockTimeout();

        /** Longest time a provider stream is read for, even when no client is left reading it. */
        @WithDefault("10m")
        Duration maxStreamDuration();
    }

    /**
     * The opt-in semantic layer: after the exact layers miss, an entry whose request is identical but
     * for the final user message's text, and whose text means the same, answers HIT-SEMANTIC.
     */
    interface Semantic {
        @WithDefault("false")
        boolean enabled();

        /** {@code local}: the bundled all-MiniLM-L6-v2 (quantised ONNX); {@code provider}: the provider's /v1/embeddings. */
        @WithDefault("local")
        EmbedderKind embedder();

        /** The provider's embedding model, with {@code embedder=provider}. */
        @WithDefault("text-embedding-3-small")
        String embeddingModel();

        /** Cosine similarity an entry needs to answer; a request may only raise it (X-Cache-Semantic). Chosen from bench/semantic. */
        @WithDefault("0.90")
        double threshold();

        /** Longest wait for an embedding; a slower one makes the lookup a plain miss. */
        @WithDefault("250ms")
        Duration timeout();

        /** Threads that run the local model (it is CPU-bound: more than the cores only queues). */
        @WithDefault("1")
        int workers();

        /** Embeddings waiting for a worker; beyond it a lookup is a plain miss at once. */
        @WithDefault("64")
        int queue();

        /** Longest final user message, in characters, that is compared by meaning (longer ones are exact-only). */
        @WithDefault("2000")
        int maxTextLength();

        /** Most recent entries of one candidate set compared with a request. */
        @WithDefault("256")
        int maxCandidates();

        /** Candidate sets kept in memory (their vectors), so a lookup needs no L2 round trip. */
        @WithDefault("2000")
        int indexMaxSets();

        /** How long a candidate set is served from memory before L2 is read again (bounds how long another instance's new entries go unseen). */
        @WithDefault("10s")
        Duration indexTtl();
    }

    enum EmbedderKind {
        LOCAL, PROVIDER
    }
}
