package io.strata.history;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import jakarta.inject.Singleton;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.config.HistoryConfig;
import io.strata.core.ThrottledLog;
import io.vertx.mutiny.core.Vertx;

/**
 * Owns history inserts so they never delay a response: a bounded queue that requests add to
 * without waiting, and one drain loop that writes it in batches. A batch that fails is retried
 * with backoff until Postgres is back (the queue keeps filling meanwhile); only a record that finds
 * the queue full is dropped, and every drop is counted and logged. On shutdown the queue is
 * drained within a grace period.
 */
@Singleton
public class HistoryWriter {

    private static final Logger LOG = Logger.getLogger(HistoryWriter.class);

    private final HistoryRepository repository;
    private final Vertx vertx;
    private final HistoryConfig.Writer config;
    private final ArrayBlockingQueue<HistoryRecord> queue;
    /** Batches being written now, each on its own connection; at most {@code concurrency}. */
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ThrottledLog dropLog = new ThrottledLog(LOG, Logger.Level.ERROR, 10_000);
    private final Counter written;
    private final Counter retried;
    private final Counter dropped;
    private volatile boolean stopping;
    /** The batches being written: out of the queue but not yet committed, still visible to {@link #pending}. */
    private final Set<List<HistoryRecord>> writing = Collections.newSetFromMap(new IdentityHashMap<>()); // guarded by handover
    private final Object handover = new Object();
    private long timerId = -1;

    public HistoryWriter(HistoryRepository repository, Vertx vertx, HistoryConfig history, MeterRegistry registry) {
        this.repository = repository;
        this.vertx = vertx;
        this.config = history.writer();
        this.queue = new ArrayBlockingQueue<>(config.queueCapacity());
        Gauge.builder("strata.history.queue.size", queue, ArrayBlockingQueue::size)
                .description("History records waiting to be written").register(registry);
        this.written = Counter.builder("strata.history.written").description("History records written").register(registry);
        this.retried = Counter.builder("strata.history.retried").description("History batches retried after a failed insert")
                .register(registry);
        this.dropped = Counter.builder("strata.history.dropped").description("History records dropped because the queue was full")
                .register(registry);
    }

    void onStart(@Observes StartupEvent event) {
        timerId = vertx.setPeriodic(config.maxWait().toMillis(), id -> drain());
    }

    /** Queues a record without waiting; answers false (and counts the drop) when the queue is full. */
    public boolean submit(HistoryRecord record) {
        if (!queue.offer(record)) {
            dropped.increment();
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
        int before = queue.size();
        queue.removeIf(filter);
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
        repository.insert(batch).subscribe().with(
                count -> {
                    written.increment(batch.size());
                    synchronized (handover) {
                        writing.remove(batch);
                    }
                    inFlight.decrementAndGet();
                    if (queue.size() >= config.batchSize() || stopping) {
                        drain();
                    }
                },
                failure -> {
                    retried.increment();
                    LOG.warnf("History batch of %d not written (%s); retrying in %d ms, %d queued", batch.size(),
                            failure.getMessage(), backoffMillis, queue.size());
                    long next = Math.min(backoffMillis * 2, config.maxBackoff().toMillis());
                    vertx.setTimer(backoffMillis, id -> write(batch, next));
                });
    }

    /** SIGTERM: write what is queued before the application stops, within the grace period. */
    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
        long deadline = System.currentTimeMillis() + config.shutdownGrace().toMillis();
        while ((!queue.isEmpty() || inFlight.get() > 0) && System.currentTimeMillis() < deadline) {
            vertx.runOnContext(this::drain);
            sleep(Duration.ofMillis(20)); // the shutdown thread, not an event loop: waiting is fine here
        }
        if (!queue.isEmpty() || inFlight.get() > 0) {
            LOG.errorf("History shutdown grace ran out with %d records not written", queue.size());
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
