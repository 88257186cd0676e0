package io.strata.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Conversation history: what is recorded, how it is written, who may read it. */
@ConfigMapping(prefix = "strata.history")
public interface HistoryConfig {

    /** {@code full}, {@code redacted}, {@code metadata-only} or {@code off}. */
    @WithDefault("full")
    Mode mode();

    /** Bearer token of the history API that sees the whole deployment's records (client keys see their own). */
    Optional<String> token();

    /** Records kept in days; older monthly partitions are dropped whole. 0 keeps everything. */
    @WithDefault("0")
    int retentionDays();

    /** Longest X-Session-Id, X-User-Id or body {@code user} accepted (they are stored and indexed); longer ones answer 400. */
    @WithDefault("256")
    int maxIdLength();

    /**
     * {@code inline}: every record holds its response bytes. {@code reference}: an unsealed record
     * holds the SHA-256 of its response, stored once per scope and content in
     * {@code strata_history_content}, so the hits of one cached answer do not copy it again.
     */
    @WithDefault("reference")
    ResponseStorage responseStorage();

    Writer writer();

    Redaction redaction();

    Encryption encryption();

    Continuation continuation();

    Partitions partitions();

    enum Mode {
        FULL, REDACTED, METADATA_ONLY, OFF
    }

    enum ResponseStorage {
        INLINE, REFERENCE
    }

    /** The bounded queue and the batched writer that drains it. */
    interface Writer {
        /** Records waiting to be written; a record that finds the queue full is dropped, counted and logged. */
        @WithDefault("100000")
        int queueCapacity();

        /**
         * Bytes the queued records may hold together (their bodies, roughly): a Postgres outage must fill
         * the queue, not the heap. A record over it is dropped like one that finds the queue full.
         */
        @WithDefault("32M")
        MemorySize queueMaxBytes();

        /** Records per INSERT batch (up to four times as many while the queue is deep). */
        @WithDefault("500")
        int batchSize();

        /** Batches written at once, each on its own connection of the history pool ({@code strata.postgres.history-pool-size}). */
        @WithDefault("2")
        int concurrency();

        /** Longest time a record waits for its batch to fill. */
        @WithDefault("200ms")
        Duration maxWait();

        /** First backoff after a failed batch (doubles up to max-backoff); the batch is retried, never dropped. */
        @WithDefault("200ms")
        Duration initialBackoff();

        /** Longest backoff between two attempts of a batch. */
        @WithDefault("5s")
        Duration maxBackoff();

        /** Longest wait for one insert; a batch not answered in time (a frozen Postgres) is retried like a failed one. */
        @WithDefault("30s")
        Duration insertTimeout();

        /** On shutdown (SIGTERM), how long the writer keeps draining the queue. */
        @WithDefault("20s")
        Duration shutdownGrace();
    }

    /** Redaction, in {@code redacted} mode, of text in prompts and responses before storage. */
    interface Redaction {
        /** Built-in patterns: {@code email}, {@code phone}, {@code card}. */
        @WithDefault("email,phone,card")
        List<String> builtIn();

        /** More regular expressions; each match is replaced by {@code [REDACTED]}. */
        Optional<List<String>> patterns();
    }

    /** AES-GCM encryption of prompt and response, with a key id on each row so keys can rotate. */
    interface Encryption {
        @WithDefault("false")
        boolean enabled();

        /** Id of the key new rows are sealed with. */
        Optional<String> activeKey();

        /** Keys by id, base64 (16, 24 or 32 bytes); keep old ones so their rows stay readable. */
        Map<String, String> keys();
    }

    /** X-Session-Continue: stored turns placed before a request's messages. */
    interface Continuation {
        /** Most stored messages (user and assistant, the latest ones) placed before a request's own. */
        @WithDefault("20")
        int maxMessages();

        /** Longest wait for the stored turns; slower answers 503. */
        @WithDefault("2s")
        Duration timeout();
    }

    /** Monthly partitions of the history table. */
    interface Partitions {
        /** Months created ahead of the current one. */
        @WithDefault("2")
        int monthsAhead();

        /** How often partitions are created ahead and retention enforced. */
        @WithDefault("1h")
        Duration maintenanceInterval();
    }
}
