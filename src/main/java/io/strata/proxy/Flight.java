package io.strata.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.buffer.Unpooled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.strata.cache.CacheEntry;
import io.strata.upstream.UpstreamResponse;
import io.strata.upstream.sse.SseEvent;
import io.strata.upstream.sse.StreamFormat;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * One provider call in flight for a cache key, shared by every identical request that arrives
 * before it ends (single-flight). Its leader feeds it: the stale entry L2 had, the provider's
 * headers when a stream starts, each event, then the outcome. Any number of clients read it: a
 * streamed one gets the events received so far and then the rest live; the others wait for the
 * outcome. A client that goes away only stops reading: the call goes on for the others and for
 * the cache.
 */
public final class Flight {

    /** How the call ended. */
    sealed interface Outcome permits Answer, Relayed, Failed {
    }

    /** Where a complete answer came from. */
    enum Source {
        /** This flight's own provider call. */
        PROVIDER,
        /** L2 had it after all (found by the leader's L2 lookup). */
        L2,
        /** Another instance called the provider and stored it. */
        OTHER_INSTANCE
    }

    /** A complete 200 answer, with the provider headers of its call (none when not this flight's call). */
    record Answer(CacheEntry entry, MultiMap providerHeaders, Source source) implements Outcome {
    }

    /** A provider answer that is not a 200: passed through as it is. */
    record Relayed(UpstreamResponse response) implements Outcome {
    }

    /** No usable answer: the call failed, or its stream was cut. */
    record Failed(Throwable failure) implements Outcome {
    }

    private final List<SseEvent> events = new ArrayList<>();
    /** Copy-on-write: a reader may detach (and remove itself) while an event is being sent to all of them. */
    private final List<Reader> readers = new CopyOnWriteArrayList<>();
    private final List<Runnable> startWaiters = new ArrayList<>();
    private final List<Runnable> endWaiters = new ArrayList<>();
    private final AtomicInteger followers = new AtomicInteger();
    private volatile CacheEntry stale;
    private MultiMap streamHeaders;
    private Outcome outcome;

    // ---- the leader's side ----

    /** An expired entry inside its grace, to answer STALE if the call fails. */
    void staleCandidate(CacheEntry entry) {
        this.stale = entry;
    }

    /** The provider's 200 stream has begun: streamed readers can start. */
    void streamStarted(MultiMap providerHeaders) {
        List<Runnable> ready;
        synchronized (this) {
            streamHeaders = providerHeaders;
            ready = drain(startWaiters);
        }
        ready.forEach(Runnable::run);
    }

    void event(SseEvent event) {
        synchronized (this) {
            events.add(event);
            for (Reader reader : readers) {
                reader.send(event);
            }
        }
    }

    /** Ends the flight; the first outcome wins. */
    void finish(Outcome result) {
        List<Runnable> ready;
        synchronized (this) {
            if (outcome != null) {
                return;
            }
            outcome = result;
            List<Reader> ending = new ArrayList<>(readers);
            readers.clear();
            for (Reader reader : ending) {
                reader.end(result);
            }
            ready = drain(startWaiters);
            ready.addAll(drain(endWaiters));
        }
        ready.forEach(Runnable::run);
    }

    /** Requests that joined this flight instead of calling the provider. */
    int followers() {
        return followers.get();
    }

    void joined() {
        followers.incrementAndGet();
    }

    // ---- the readers' side ----

    CacheEntry stale() {
        return stale;
    }

    /** Resolves once a stream has begun (true) or the call has ended without one (false). */
    Uni<Boolean> started() {
        return Uni.createFrom().emitter(emitter -> {
            synchronized (this) {
                if (streamHeaders == null && outcome == null) {
                    startWaiters.add(() -> emitter.complete(streamHeaders() != null));
                    return;
                }
            }
            emitter.complete(streamHeaders() != null);
        });
    }

    /** Resolves with the outcome, once there is one. */
    Uni<Outcome> outcome() {
        return Uni.createFrom().emitter(emitter -> {
            synchronized (this) {
                if (outcome == null) {
                    endWaiters.add(() -> emitter.complete(outcomeNow()));
                    return;
                }
            }
            emitter.complete(outcomeNow());
        });
    }

    synchronized Outcome outcomeNow() {
        return outcome;
    }

    synchronized MultiMap streamHeaders() {
        return streamHeaders;
    }

    /**
     * The stream for one client: every event so far, then the rest as it arrives. The usage chunk
     * is left out unless the client asked for it. If the stream breaks, the client gets an
     * OpenAI-shaped error event before the end. Cancelling only detaches this client.
     */
    Multi<Buffer> read(StreamFormat format, boolean includeUsage, Runnable onEarlyDisconnect) {
        return Multi.createFrom().emitter(emitter -> {
            Reader reader = new Reader(emitter, format, includeUsage, new AtomicInteger());
            synchronized (this) {
                for (SseEvent event : events) {
                    reader.send(event);
                }
                if (outcome != null) {
                    reader.end(outcome);
                    return;
                }
                readers.add(reader);
            }
            emitter.onTermination(() -> {
                boolean early;
                synchronized (this) {
                    early = readers.remove(reader) && outcome == null;
                }
                if (early) {
                    onEarlyDisconnect.run();
                }
            });
        });
    }

    private static List<Runnable> drain(List<Runnable> waiters) {
        List<Runnable> ready = new ArrayList<>(waiters);
        waiters.clear();
        return ready;
    }

    /** One client reading the stream; events are wrapped, not copied. */
    private record Reader(MultiEmitter<? super Buffer> emitter, StreamFormat format, boolean includeUsage, AtomicInteger sent) {
        void send(SseEvent event) {
            if (event.kind() != SseEvent.Kind.USAGE || includeUsage) {
                if (event.kind() != SseEvent.Kind.OTHER) {
                    sent.incrementAndGet();
                }
                emitter.emit(Buffer.buffer(Unpooled.wrappedBuffer(event.raw())));
            }
        }

        void end(Outcome outcome) {
            if (outcome instanceof Failed failed) {
                emitter.emit(Buffer.buffer(StreamErrors.event(format, failed.failure(), sent.get())));
            }
            emitter.complete();
        }
    }
}
