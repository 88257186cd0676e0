package io.strata.semantic;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jboss.logging.Logger;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * The bundled model: all-MiniLM-L6-v2, quantised, run by the ONNX runtime in this process (the
 * model ships inside its jar: nothing is downloaded). Inference is CPU work, so it runs on a small
 * pool of its own threads with a bounded queue, never on an event loop; a full queue fails the
 * call at once. The model is loaded on that pool when the embedder is made, so start-up does not
 * wait for it (lookups before it is ready wait in the queue, bounded by the caller's timeout).
 * Answers come back on the caller's Vert.x context.
 *
 * <p>The ONNX runtime and the tokenizer are JNI libraries: they do not run in a native image,
 * where {@code strata.cache.semantic.embedder=provider} is the way.
 */
public final class LocalEmbedder implements Embedder, AutoCloseable {

    public static final String ID = "local:all-minilm-l6-v2-q";

    private static final Logger LOG = Logger.getLogger(LocalEmbedder.class);

    private final Vertx vertx;
    private final ThreadPoolExecutor pool;
    private volatile EmbeddingModel model;

    public LocalEmbedder(Vertx vertx, int workers, int queue) {
        this.vertx = vertx;
        AtomicInteger threads = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(Math.max(1, queue)),
                task -> {
                    Thread thread = new Thread(task, "strata-embedder-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        pool.execute(this::model);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Uni<float[]> embed(String text, EmbeddingCaller caller) {
        return Uni.createFrom().emitter(emitter -> {
            Context context = vertx.getOrCreateContext();
            try {
                pool.execute(() -> {
                    try {
                        float[] vector = Vectors.unit(model().embed(text).content().vector());
                        context.runOnContext(ignored -> {
                            if (vector == null) {
                                emitter.fail(new IllegalStateException("The model answered a zero vector"));
                            } else {
                                emitter.complete(vector);
                            }
                        });
                    } catch (Throwable failure) {
                        context.runOnContext(ignored -> emitter.fail(failure));
                    }
                });
            } catch (RejectedExecutionException full) {
                emitter.fail(new EmbedderBusy());
            }
        });
    }

    /** Loaded once, on a worker (the model's class loads its ONNX session when it initialises). */
    private EmbeddingModel model() {
        EmbeddingModel loaded = model;
        if (loaded == null) {
            synchronized (this) {
                loaded = model;
                if (loaded == null) {
                    long start = System.nanoTime();
                    loaded = new AllMiniLmL6V2QuantizedEmbeddingModel();
                    model = loaded;
                    LOG.infof("Semantic cache: local embedding model %s loaded in %d ms", ID, (System.nanoTime() - start) / 1_000_000);
                }
            }
        }
        return loaded;
    }

    /** Embeddings waiting for a worker. */
    public int queued() {
        return pool.getQueue().size();
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }

    /** Every worker busy and the queue full: the lookup is a miss rather than a wait. */
    public static final class EmbedderBusy extends RuntimeException {
        EmbedderBusy() {
            super("every embedding worker is busy and the queue is full", null, false, false);
        }
    }
}
