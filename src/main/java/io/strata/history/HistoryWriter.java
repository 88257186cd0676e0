package io.strata.history;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.strata.config.HistoryConfig;
import io.strata.core.ThrottledLog;
import io.vertx.mutiny.core.Vertx;
import io.vertx.pgclient.PgException;

/**
 * Owns history inserts so they never delay a response: a bounded queue that requests add to
 * without waiting, and a drain loop that writes it in batches, up to {@code concurrency} at once.
 * A batch that fails because Postgres is away is retried with backoff until it is back (the queue
 * keeps filling meanwhile). A batch that Postgres refuses for what it holds (a data error: retrying
 * cannot fix it) is split in halves until the record at fault is alone; that record is dropped,
 * counted ({@code strata_history_dropped_total{reason="unstorable"}}) and logged, and the rest is
 * written, so one bad record never holds the others back. A record that finds the queue full is
 * dropped ({@code reason="queue_full"}); on shutdown the queue is drained within a grace period
 * and whatever is still not written then is counted exactly ({@code reason="shutdown"}).
 */
@Singleton
public class HistoryWriter {

    private static final Logger LOG = Logger.getLogger(HistoryWriter.class);

    /**
     * SQLSTATE classes of failures that say nothing about the rows: the connection, the server's
     * state or resources, authorisation, the database or table not there yet. Retried, never split.
     * Any other error the server answers is about the data (22 data exception, 23 integrity, 54
     * program limit such as an index row too large, ...).
     */
    private static final Set<String> TRANSIENT_CLASSES = Set.of("08", "25", "28", "3D", "40", "53", "55", "57", "58", "XX");
    private static final String UNDEFINED_TABLE = "42P01";

    private final HistoryRepository repository;
    private final Vertx vertx;
    private final HistoryConfig.Writer config;
    private final InstantSource clock;
    private final ArrayBlockingQueue<HistoryRecord> queue;
    /** What the queued records hold, roughly ({@link HistoryRecord#approximateBytes()}); bounded like their number. */
    private final AtomicLong queuedBytes = new AtomicLong();
    private final long maxQueuedBytes;
    /** Batches being written now, each on its own connection; at most {@code concurrency}. */
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ThrottledLog dropLog = new ThrottledLog(LOG, Logger.Level.ERROR, 10_000);
    private final ThrottledLog unstorableLog = new ThrottledLog(LOG, Logger.Level.ERROR, 10_000);
    private final Counter written;
    private final Counter retried;
    private final Counter droppedQueueFull;
    private final Counter droppedUnstorable;
    private final Counter droppedShutdown;
    private volatile boolean stopping;
    /**
     * Set while records must not reach Postgres yet: the encryption keys are not confirmed against
     * their stored canaries (Postgres was away at start). A record sealed under a wrong key would be
     * unreadable with the right one, so records wait in the queue until {@link #release()}.
     */
    private volatile boolean held;
    /** Set once the shutdown drain is over: a record submitted later is lost, and counted as such. */
    private volatile boolean stopped;
    /** When a batch last committed (or a record was given up as unstorable): the writer's last progress. */
    private volatile long progressAtMillis;
    /** The batches being written: out of the queue but not yet committed, still visible to {@link #pending}. */
    private final Set<List<HistoryRecord>> writing = Collections.newSetFromMap(new IdentityHashMap<>()); // guarded by handover
    /**
     * Erasures asked for while batches were being written (guarded by handover, cleared when none is): a
     * batch retried after one leaves its records out, so a batch that Postgres committed but the writer saw
     * time out does not bring erased records back.
     */
    private final List<Erasure> erasedWhileWriting = new ArrayList<>();

    /** An erasure, and the batches being written when it was asked for: the only ones it may leave records out of. */
    private record Erasure(Predicate<HistoryRecord> erased, Set<List<HistoryRecord>> batches) {
    }
    private final Object handover = new Object();
    private long timerId = -1;

    public HistoryWriter(HistoryRepository repository, Vertx vertx, HistoryConfig history, MeterRegistry registry, InstantSource clock) {
        this.repository = repository;
        this.vertx = vertx;
        this.config = history.writer();
        this.clock = clock;
        this.progressAtMillis = clock.millis();
        this.queue = new ArrayBlockingQueue<>(config.queueCapacity());
        this.maxQueuedBytes = config.queueMaxBytes().asLongValue();
        Gauge.builder("strata.history.queue.bytes", queuedBytes, AtomicLong::get)
                .description("Bytes the queued history records hold, roughly (bounded by strata.history.writer.queue-max-bytes)")
                .register(registry);
        Gauge.builder("strata.history.queue.size", queue, ArrayBlockingQueue::size)
                .description("History records waiting to be written").register(registry);
        Gauge.builder("strata.history.writer.stalled.seconds", this, HistoryWriter::stalledSeconds)
                .description("How long records have been waiting while the writer committed nothing (0: idle or making progress)")
                .register(registry);
        this.written = Counter.builder("strata.history.written").description("History records written").register(registry);
        this.retried = Counter.builder("strata.history.retried").description("History batches retried after a failed insert")
                .register(registry);
        this.droppedQueueFull = dropped(registry, "queue_full");
        this.droppedUnstorable = dropped(registry, "unstorable");
        this.droppedShutdown = dropped(registry, "shutdown");
    }

    private static Counter dropped(MeterRegistry registry, String reason) {
        return Counter.builder("strata.history.dropped")
                .description("History records not written: queue full, refused by Postgres for their content, or lost at shutdown")
                .tag("reason", reason).register(registry);
    }

    void onStart(@Observes StartupEvent event) {
        timerId = vertx.setPeriodic(config.maxWait().toMillis(), id -> drain());
    }

    /** Writes nothing until {@link #release()}: records keep queueing (and count as lost if the process stops meanwhile). */
    public void hold() {
        held = true;
    }

    /** Ends a {@link #hold()}: what queued meanwhile is written now. */
    public void release() {
        held = false;
        vertx.runOnContext(this::drain);
    }

    /** Queues a record without waiting; answers false (and counts the drop) when the queue is full. */
    public boolean submit(HistoryRecord record) {
        if (stopped) {
            droppedShutdown.increment();
            LOG.errorf("History record %s arrived after the shutdown drain: not written", record.id());
            return false;
        }
        long bytes = record.approximateBytes();
        // one record is always admitted into an empty queue, whatever its size
        if (queuedBytes.addAndGet(bytes) > maxQueuedBytes && queuedBytes.get() != bytes) {
            queuedBytes.addAndGet(-bytes);
            droppedQueueFull.increment();
            dropLog.occurred("History queue full (" + maxQueuedBytes + " bytes, strata.history.writer.queue-max-bytes): record dropped");
            return false;
        }
        if (!queue.offer(record)) {
            queuedBytes.addAndGet(-bytes);
            droppedQueueFull.increment();
            dropLog.occurred("History queue full (" + config.queueCapacity() + " records): record dropped");
            return false;
        }
        if (queue.size() >= config.batchSize()) {
            vertx.runOnContext(this::drain);
        }
        return true;
    }

    /** Records not committed yet (queued, or in the batch being written) that match, for readers that must see them. */
    public List<HistoryRecord> pending(Predicate<HistoryRecord> filter) {
        List<HistoryRecord> matching = new ArrayList<>();
        synchronized (handover) {
            for (List<HistoryRecord> batch : writing) {
                for (HistoryRecord record : batch) {
                    if (filter.test(record)) {
                        matching.add(record);
                    }
                }
            }
            for (HistoryRecord record : queue) {
                if (filter.test(record)) {
                    matching.add(record);
                }
            }
        }
        return matching;
    }

    /** Removes queued records that match (erasure must reach records not written yet); answers how many. */
    public int forget(Predicate<HistoryRecord> filter) {
        synchronized (handover) {
            if (!writing.isEmpty()) {
                Set<List<HistoryRecord>> batches = Collections.newSetFromMap(new IdentityHashMap<>());
                batches.addAll(writing);
                erasedWhileWriting.add(new Erasure(filter, batches));
            }
        }
        int before = queue.size();
        queue.removeIf(record -> {
            if (filter.test(record)) {
                queuedBytes.addAndGet(-record.approximateBytes());
                return true;
            }
            return false;
        });
        return Math.max(0, before - queue.size());
    }

    /** Resolves once no batch is being written (bounded): a batch taken before an erasure has landed by then. */
    public io.smallrye.mutiny.Uni<Void> idle(Duration atMost) {
        return idleBy(System.currentTimeMillis() + atMost.toMillis());
    }

    private io.smallrye.mutiny.Uni<Void> idleBy(long deadline) {
        if (inFlight.get() == 0 || System.currentTimeMillis() > deadline) {
            return io.smallrye.mutiny.Uni.createFrom().voidItem();
        }
        return io.smallrye.mutiny.Uni.createFrom().voidItem().onItem().delayIt().by(Duration.ofMillis(20))
                .chain(() -> idleBy(deadline));
    }

    public int queued() {
        return queue.size();
    }

    /**
     * Starts batches while fewer than {@code concurrency} are being written and records wait; a
     * deep queue is written in larger batches. The next batch follows when one is done.
     */
    void drain() {
        if (held) {
            return;
        }
        while (true) {
            int current = inFlight.get();
            if (current >= config.concurrency()) {
                return;
            }
            if (!inFlight.compareAndSet(current, current + 1)) {
                continue;
            }
            int limit = queue.size() > 4 * config.batchSize() ? 4 * config.batchSize() : config.batchSize();
            List<HistoryRecord> batch = new ArrayList<>(limit);
            synchronized (handover) { // a reader of pending records sees each record in the queue or in a batch, never in neither
                queue.drainTo(batch, limit);
                for (HistoryRecord taken : batch) {
                    queuedBytes.addAndGet(-taken.approximateBytes());
                }
                if (!batch.isEmpty()) {
                    writing.add(batch);
                }
            }
            if (batch.isEmpty()) {
                inFlight.decrementAndGet();
                return;
            }
            write(batch, config.initialBackoff().toMillis());
            if (queue.size() < config.batchSize() && !stopping) {
                return;
            }
        }
    }

    private void write(List<HistoryRecord> batch, long backoffMillis) {
        insert(batch, batch, backoffMillis, () -> {
            synchronized (handover) {
                writing.remove(batch);
                if (writing.isEmpty()) {
                    erasedWhileWriting.clear();
                }
            }
            inFlight.decrementAndGet();
            if (queue.size() >= config.batchSize() || stopping) {
                drain();
            }
        });
    }

    /**
     * Writes part of a batch (or all of it), then runs {@code done}. Postgres away: retried with
     * backoff. Postgres refusing the rows: split until the record at fault is alone, which is dropped.
     */
    private void insert(List<HistoryRecord> batch, List<HistoryRecord> part, long backoffMillis, Runnable done) {
        Uni<Integer> insert;
        try {
            insert = repository.insert(part).ifNoItem().after(config.insertTimeout()).fail(); // retried: ON CONFLICT DO NOTHING
        } catch (RuntimeException unencodable) { // a value the client cannot even encode: about the data too
            insert = Uni.createFrom().failure(unencodable);
        }
        insert.subscribe().with(
                count -> {
                    written.increment(part.size());
                    progressAtMillis = clock.millis();
                    done.run();
                },
                failure -> {
                    if (unstorable(failure)) {
                        if (part.size() == 1) {
                            HistoryRecord record = part.get(0);
                            droppedUnstorable.increment();
                            progressAtMillis = clock.millis();
                            unstorableLog.occurred("History record " + record.id() + " (" + record.endpoint() + ", status "
                                    + record.status() + ") refused by Postgres and dropped: " + failure.getMessage());
                            done.run();
                        } else {
                            int half = part.size() / 2;
                            List<HistoryRecord> first = part.subList(0, half);
                            List<HistoryRecord> second = part.subList(half, part.size());
                            insert(batch, first, backoffMillis, () -> insert(batch, second, backoffMillis, done));
                        }
                        return;
                    }
                    retried.increment();
                    LOG.warnf("History batch of %d not written (%s); retrying in %d ms, %d queued", part.size(),
                            failure.getMessage(), backoffMillis, queue.size());
                    long next = Math.min(backoffMillis * 2, config.maxBackoff().toMillis());
                    vertx.setTimer(backoffMillis, id -> {
                        List<HistoryRecord> remaining = withoutErased(batch, part);
                        if (remaining.isEmpty()) {
                            done.run();
                        } else {
                            insert(batch, remaining, next, done);
                        }
                    });
                });
    }

    /** The records of a batch about to be retried that no erasure asked for since the batch was taken. */
    private List<HistoryRecord> withoutErased(List<HistoryRecord> batch, List<HistoryRecord> part) {
        List<Predicate<HistoryRecord>> erasures = new ArrayList<>();
        synchronized (handover) {
            for (Erasure erasure : erasedWhileWriting) {
                if (erasure.batches().contains(batch)) {
                    erasures.add(erasure.erased());
                }
            }
        }
        if (erasures.isEmpty()) {
            return part;
        }
        return part.stream().filter(record -> erasures.stream().noneMatch(erased -> erased.test(record))).toList();
    }

    /** Whether the insert failed for what the rows hold (retrying cannot fix it), not because Postgres is away. */
    static boolean unstorable(Throwable failure) {
        if (failure instanceof PgException pg) {
            String state = pg.getSqlState();
            return state != null && state.length() == 5 && !TRANSIENT_CLASSES.contains(state.substring(0, 2))
                    && !UNDEFINED_TABLE.equals(state);
        }
        return failure instanceof IllegalArgumentException || failure instanceof ClassCastException
                || failure instanceof io.netty.handler.codec.EncoderException;
    }

    /**
     * Seconds the oldest record not yet written has waited since the writer last made progress; 0
     * when nothing waits. A healthy writer keeps it under a second or two; a Postgres outage or a
     * stuck writer makes it grow (metric strata_history_writer_stalled_seconds, and readiness data).
     */
    public double stalledSeconds() {
        long oldest = Long.MAX_VALUE;
        synchronized (handover) {
            for (List<HistoryRecord> batch : writing) {
                if (!batch.isEmpty()) {
                    oldest = Math.min(oldest, batch.get(0).timestampMillis());
                }
            }
            HistoryRecord head = queue.peek();
            if (head != null) {
                oldest = Math.min(oldest, head.timestampMillis());
            }
        }
        if (oldest == Long.MAX_VALUE) {
            return 0;
        }
        return Math.max(0, clock.millis() - Math.max(oldest, progressAtMillis)) / 1000.0;
    }

    /** SIGTERM: write what is queued before the application stops, within the grace period; count exactly what is lost. */
    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
        long deadline = System.currentTimeMillis() + config.shutdownGrace().toMillis();
        while (!held && (!queue.isEmpty() || inFlight.get() > 0) && System.currentTimeMillis() < deadline) {
            vertx.runOnContext(this::drain);
            sleep(Duration.ofMillis(20)); // the shutdown thread, not an event loop: waiting is fine here
        }
        stopped = true;
        int lost;
        synchronized (handover) {
            lost = queue.size();
            for (List<HistoryRecord> batch : writing) {
                lost += batch.size(); // taken from the queue but not committed: lost as well
            }
            queue.clear();
            queuedBytes.set(0);
        }
        if (lost > 0 && held) {
            droppedShutdown.increment(lost);
            LOG.errorf("History keys never confirmed: %d records held, not written (strata_history_dropped_total{reason=\"shutdown\"})",
                    lost);
        } else if (lost > 0) {
            droppedShutdown.increment(lost);
            LOG.errorf("History shutdown grace (%s) ran out: %d records not written (strata_history_dropped_total{reason=\"shutdown\"})",
                    config.shutdownGrace(), lost);
        } else {
            LOG.info("History queue drained");
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
