package io.strata.history;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;
import io.strata.config.HistoryConfig;
import io.vertx.mutiny.core.Vertx;
import io.vertx.pgclient.PgException;

/** The writer's handling of failed batches, without Postgres: a refused record never holds the others back. */
class HistoryWriterTest {

    private final Vertx vertx = Vertx.vertx();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final InstantSource clock = () -> Instant.ofEpochMilli(now.get());

    @AfterEach
    void close() {
        vertx.closeAndAwait();
    }

    /** Refuses (as Postgres does a NUL in a text column) any insert that holds a poisoned record; stores the others. */
    private static final class FakeRepository extends HistoryRepository {
        final Set<String> stored = ConcurrentHashMap.newKeySet();
        final Set<String> poisoned = ConcurrentHashMap.newKeySet();
        final AtomicInteger inserts = new AtomicInteger();
        volatile int outageAttempts;
        volatile boolean hang;
        /** Once set: the next insert commits, then fails when the future completes (a timeout after the commit). */
        volatile java.util.concurrent.CompletableFuture<Void> failAfterCommit;

        FakeRepository() {
            super(null, null, null, null);
        }

        @Override
        public Uni<Integer> insert(List<HistoryRecord> batch) {
            inserts.incrementAndGet();
            if (hang) {
                return Uni.createFrom().emitter(never -> {
                });
            }
            java.util.concurrent.CompletableFuture<Void> gate = failAfterCommit;
            if (gate != null) {
                failAfterCommit = null;
                batch.forEach(r -> stored.add(r.id()));
                return Uni.createFrom().completionStage(gate)
                        .chain(() -> Uni.createFrom().failure(new io.vertx.core.VertxException("Timed out waiting for a reply")));
            }
            if (outageAttempts > 0) {
                outageAttempts--;
                return Uni.createFrom().failure(new io.vertx.core.VertxException("Connection refused"));
            }
            if (batch.stream().anyMatch(r -> poisoned.contains(r.id()))) {
                return Uni.createFrom()
                        .failure(new PgException("invalid byte sequence for encoding \"UTF8\": 0x00", "ERROR", "22021", null));
            }
            batch.forEach(r -> stored.add(r.id()));
            return Uni.createFrom().item(batch.size());
        }
    }

    private HistoryWriter writer(FakeRepository repository, int batchSize, Duration shutdownGrace) {
        return new HistoryWriter(repository, vertx, config(batchSize, shutdownGrace), registry, clock);
    }

    private double dropped(String reason) {
        return registry.get("strata.history.dropped").tag("reason", reason).counter().count();
    }

    @Test
    void aBatchPostgresRefusesIsSplitAndOnlyTheRecordAtFaultIsDropped() {
        FakeRepository repository = new FakeRepository();
        HistoryWriter writer = writer(repository, 64, Duration.ofSeconds(5));
        HistoryRecord poison = record();
        repository.poisoned.add(poison.id());
        for (int i = 0; i < 40; i++) {
            writer.submit(i == 17 ? poison : record());
        }
        writer.drain();
        await("the 39 good records written, none left queued").atMost(Duration.ofSeconds(5))
                .until(() -> repository.stored.size() == 39 && writer.queued() == 0);
        await("the poisoned record dropped and counted").atMost(Duration.ofSeconds(5)).until(() -> dropped("unstorable") == 1.0);
        assertEquals(0.0, registry.get("strata.history.retried").counter().count(), "a data error is not retried");
        assertEquals(39.0, registry.get("strata.history.written").counter().count());
        assertTrue(repository.inserts.get() <= 2 * 7 + 1, "split in halves: " + repository.inserts.get() + " inserts");

        // and the writer goes on: later records of anyone are written
        HistoryRecord later = record();
        writer.submit(later);
        writer.drain();
        await().atMost(Duration.ofSeconds(5)).until(() -> repository.stored.contains(later.id()));
    }

    @Test
    void postgresAwayIsRetriedNeverDropped() {
        FakeRepository repository = new FakeRepository();
        repository.outageAttempts = 3;
        HistoryWriter writer = writer(repository, 10, Duration.ofSeconds(5));
        for (int i = 0; i < 5; i++) {
            writer.submit(record());
        }
        writer.drain();
        await().atMost(Duration.ofSeconds(10)).until(() -> repository.stored.size() == 5);
        assertEquals(3.0, registry.get("strata.history.retried").counter().count());
        assertEquals(0.0, dropped("unstorable") + dropped("queue_full") + dropped("shutdown"));
    }

    /**
     * A batch Postgres committed while the writer saw it fail (its reply came too late) is retried; an
     * erasure asked for meanwhile deleted its rows, and the retry must not write them again.
     */
    @Test
    void aBatchRetriedAfterAnErasureDoesNotBringTheErasedRecordsBack() {
        FakeRepository repository = new FakeRepository();
        java.util.concurrent.CompletableFuture<Void> reply = new java.util.concurrent.CompletableFuture<>();
        repository.failAfterCommit = reply;
        HistoryWriter writer = writer(repository, 10, Duration.ofSeconds(5));
        HistoryRecord erased = record("erased-user");
        HistoryRecord kept = record("other-user");
        writer.submit(erased);
        writer.submit(kept);
        writer.drain();
        await("the batch committed").atMost(Duration.ofSeconds(5))
                .until(() -> repository.stored.containsAll(Set.of(erased.id(), kept.id())));

        writer.forget(r -> "erased-user".equals(r.userId())); // the erasure: the queue, then the rows
        repository.stored.remove(erased.id());
        reply.complete(null); // the writer now sees the batch fail and retries it

        await("the batch retried").atMost(Duration.ofSeconds(5)).until(() -> repository.inserts.get() == 2);
        await().atMost(Duration.ofSeconds(5)).until(() -> writer.stalledSeconds() == 0 && writer.queued() == 0);
        assertTrue(repository.stored.contains(kept.id()), "the other record is still written");
        assertTrue(!repository.stored.contains(erased.id()), "the erased record is not written again");

        HistoryRecord later = record("erased-user"); // the user's activity after the erasure is recorded as usual
        writer.submit(later);
        writer.drain();
        await().atMost(Duration.ofSeconds(5)).until(() -> repository.stored.contains(later.id()));
    }

    @Test
    void aStalledWriterIsVisibleAndIdleIsNot() {
        FakeRepository repository = new FakeRepository();
        repository.hang = true;
        HistoryWriter writer = writer(repository, 10, Duration.ofSeconds(5));
        assertEquals(0.0, writer.stalledSeconds(), "nothing waits");
        writer.submit(record());
        writer.drain();
        now.addAndGet(45_000);
        assertEquals(45.0, writer.stalledSeconds(), 0.001, "a record has waited 45 s with nothing committed");
        assertEquals(45.0, registry.get("strata.history.writer.stalled.seconds").gauge().value(), 0.001);
    }

    @Test
    void recordsNotWrittenAtShutdownAreCountedExactlyBatchInFlightIncluded() {
        FakeRepository repository = new FakeRepository();
        repository.hang = true; // the batch being written never commits
        HistoryWriter writer = writer(repository, 4, Duration.ofMillis(300));
        for (int i = 0; i < 10; i++) {
            writer.submit(record());
        }
        writer.drain(); // takes batches in flight (concurrency 2, 4 each): 8 out of the queue, 2 left
        writer.onStop(null);
        assertEquals(10.0, dropped("shutdown"), "queued and in-flight records both counted");
        writer.submit(record());
        assertEquals(11.0, dropped("shutdown"), "a record arriving after the drain is counted too");
    }

    @Test
    void heldRecordsWaitUntilReleasedAndAreCountedIfTheProcessStopsFirst() {
        FakeRepository repository = new FakeRepository();
        HistoryWriter writer = writer(repository, 10, Duration.ofSeconds(30));
        writer.hold(); // encryption keys not confirmed yet
        HistoryRecord record = record();
        writer.submit(record);
        writer.drain();
        assertEquals(0, repository.inserts.get(), "nothing is written while held");
        writer.release();
        await().atMost(Duration.ofSeconds(5)).until(() -> repository.stored.contains(record.id()));

        writer.hold(); // a wrong key found: the process stops with records held
        for (int i = 0; i < 3; i++) {
            writer.submit(record());
        }
        long start = System.nanoTime();
        writer.onStop(null);
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "held records are not waited for");
        assertEquals(3.0, dropped("shutdown"));
        assertEquals(1, repository.stored.size());
    }

    @Test
    void onlyDataErrorsAreUnstorable() {
        assertTrue(HistoryWriter.unstorable(new PgException("x", "ERROR", "22021", null)), "invalid byte sequence");
        assertTrue(HistoryWriter.unstorable(new PgException("x", "ERROR", "54000", null)), "index row size exceeds maximum");
        assertTrue(!HistoryWriter.unstorable(new PgException("x", "FATAL", "57P01", null)), "admin shutdown: Postgres restarting");
        assertTrue(!HistoryWriter.unstorable(new PgException("x", "FATAL", "53300", null)), "too many connections");
        assertTrue(!HistoryWriter.unstorable(new PgException("x", "ERROR", "42P01", null)), "table not created yet");
        assertTrue(!HistoryWriter.unstorable(new io.vertx.core.VertxException("Connection refused")));
    }

    @Test
    void theQueueIsBoundedInBytesNotOnlyInRecords() {
        FakeRepository repository = new FakeRepository();
        repository.outageAttempts = Integer.MAX_VALUE; // Postgres away: everything stays queued
        HistoryWriter writer = new HistoryWriter(repository, vertx, config(10, Duration.ofSeconds(1), 1_000_000), registry, clock);
        writer.hold(); // nothing leaves the queue for a batch
        int admitted = 0;
        for (int i = 0; i < 100; i++) { // 100 records of 100 KB: 10 MB against a 1 MB bound, far under 1,000 records
            if (writer.submit(record(new byte[100_000]))) {
                admitted++;
            }
        }
        assertEquals(9, admitted, "as many 100 KB records as fit in 1 MB");
        assertEquals(91.0, dropped("queue_full"), "the others dropped and counted");
        assertTrue(registry.get("strata.history.queue.bytes").gauge().value() <= 1_000_000);
        assertEquals(9, writer.forget(r -> true));
        assertEquals(0.0, registry.get("strata.history.queue.bytes").gauge().value(), "forgotten records give their bytes back");
        assertTrue(writer.submit(record(new byte[2_000_000])), "one record is always admitted into an empty queue");
        assertTrue(!writer.submit(record(new byte[10])), "then the queue is full");
    }

    private static HistoryRecord record(byte[] response) {
        return new HistoryRecord(UUID.randomUUID().toString(), 1_000_000, "k:1", "s", "u", "chat.completions", "m", null, null, null,
                null, response, null, null, false, "none", "MISS", 1, null, null, 200, 200, null, null);
    }

    private static HistoryRecord record(String userId) {
        return new HistoryRecord(UUID.randomUUID().toString(), 1_000_000, "k:1", "s", userId, "chat.completions", "m", null, null,
                null, null, null, null, null, false, "none", "MISS", 1, null, null, 200, 200, null, null);
    }

    private static HistoryRecord record() {
        return new HistoryRecord(UUID.randomUUID().toString(), 1_000_000, "k:1", "s", "u", "chat.completions", "m", null, null, null,
                null, null, null, null, false, "none", "MISS", 1, null, null, 200, 200, null, null);
    }

    private static HistoryConfig config(int batchSize, Duration shutdownGrace) {
        return config(batchSize, shutdownGrace, 64 * 1024 * 1024);
    }

    private static HistoryConfig config(int batchSize, Duration shutdownGrace, long queueMaxBytes) {
        HistoryConfig.Writer writer = new HistoryConfig.Writer() {
            public int queueCapacity() {
                return 1000;
            }

            public io.quarkus.runtime.configuration.MemorySize queueMaxBytes() {
                return new io.quarkus.runtime.configuration.MemorySize(java.math.BigInteger.valueOf(queueMaxBytes));
            }

            public int batchSize() {
                return batchSize;
            }

            public int concurrency() {
                return 2;
            }

            public Duration maxWait() {
                return Duration.ofMillis(50);
            }

            public Duration initialBackoff() {
                return Duration.ofMillis(10);
            }

            public Duration maxBackoff() {
                return Duration.ofMillis(50);
            }

            public Duration insertTimeout() {
                return Duration.ofSeconds(30);
            }

            public Duration shutdownGrace() {
                return shutdownGrace;
            }
        };
        return new HistoryConfig() {
            public Mode mode() {
                return Mode.FULL;
            }

            public Optional<String> token() {
                return Optional.empty();
            }

            public int retentionDays() {
                return 0;
            }

            public int maxIdLength() {
                return 256;
            }

            public ResponseStorage responseStorage() {
                return ResponseStorage.REFERENCE;
            }

            public Writer writer() {
                return writer;
            }

            public Redaction redaction() {
                return null;
            }

            public Encryption encryption() {
                return null;
            }

            public Continuation continuation() {
                return null;
            }

            public Partitions partitions() {
                return null;
            }
        };
    }
}
