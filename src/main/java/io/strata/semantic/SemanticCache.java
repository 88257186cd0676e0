package io.strata.semantic;

import java.text.Normalizer;
import java.util.List;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.smallrye.mutiny.Uni;
import io.strata.cache.CacheEntry;
import io.strata.cache.CacheKey;
import io.strata.cache.CacheKeyFactory;
import io.strata.cache.LayeredCache;
import io.strata.config.CacheConfig;
import io.strata.core.Deadlines;

/**
 * The semantic layer, asked only after the exact layers missed. A request's candidates are the
 * entries whose request was identical but for the final user message's text (same context key:
 * scope, namespace, endpoint, model, every parameter, tools, system prompt and earlier turns); of
 * those, the closest by cosine that reaches the threshold and that the {@link MeaningGuard} does
 * not refuse answers, read from the exact layers by its key. Anything that fails or is late (the
 * embedding, L2) is a plain miss.
 */
@Singleton
public class SemanticCache {

    private static final Logger LOG = Logger.getLogger(SemanticCache.class);

    private final boolean enabled;
    private final double threshold;
    private final long timeoutMillis;
    private final long l2TimeoutMillis;
    private final int maxCandidates;
    private final int maxTextLength;
    private final Embedder embedder;
    private final SemanticStore store;
    private final LayeredCache layers;
    private final CacheKeyFactory keys;
    private final Deadlines deadlines;
    private final SemanticMetrics metrics;
    private final CandidateIndex index;

    public SemanticCache(CacheConfig config, Embedder embedder, SemanticStore store, LayeredCache layers, CacheKeyFactory keys,
            Deadlines deadlines, SemanticMetrics metrics) {
        CacheConfig.Semantic semantic = config.semantic();
        this.enabled = config.enabled() && semantic.enabled() && config.l2().enabled();
        this.threshold = semantic.threshold();
        this.timeoutMillis = semantic.timeout().toMillis();
        this.l2TimeoutMillis = config.l2().timeout().toMillis();
        this.maxCandidates = semantic.maxCandidates();
        this.maxTextLength = semantic.maxTextLength();
        this.embedder = embedder;
        this.store = store;
        this.layers = layers;
        this.keys = keys;
        this.deadlines = deadlines;
        this.metrics = metrics;
        this.index = new CandidateIndex(semantic.indexMaxSets(), semantic.maxCandidates(), semantic.indexTtl().toMillis());
    }

    public boolean enabled() {
        return enabled;
    }

    /**
     * The request as the semantic layer sees it, or null when it takes no part: the layer is off,
     * the request said {@code X-Cache-Semantic: off}, its endpoint is not served, or its final turn
     * is not a user's plain text of a useful length.
     */
    public SemanticProbe probe(CacheKey exactKey, JsonNode body, SemanticDirective directive, EmbeddingCaller caller, String sessionId,
            String userId) {
        if (!enabled || directive.off()) {
            return null;
        }
        FinalTurnSplitter splitter = FinalTurns.forEndpoint(exactKey.endpoint());
        FinalTurn turn = splitter == null ? null : splitter.split(body);
        if (turn == null) {
            return null;
        }
        String text = normalize(turn.text());
        if (text.isEmpty() || text.length() > maxTextLength) {
            return null;
        }
        String contextKey = contextKey(exactKey.scope(), exactKey.namespace(), exactKey.endpoint(), turn.context());
        return new SemanticProbe(contextKey, text, directive.effective(threshold), caller, exactKey, sessionId, userId);
    }

    /** Hash of everything but the final user text; the embedder's id is part of it, so two models' vectors never meet. */
    public String contextKey(String scope, String namespace, String endpoint, JsonNode context) {
        return contextKey(keys, embedder.id(), scope, namespace, endpoint, context);
    }

    /**
     * The embedder's id goes with the namespace (after a space, which no namespace holds), so the
     * endpoint stays the real one: the canonical form follows the endpoint's own key rules.
     */
    public static String contextKey(CacheKeyFactory keys, String embedderId, String scope, String namespace, String endpoint,
            JsonNode context) {
        return keys.key(scope, "semantic " + embedderId + " " + namespace, endpoint, context).hex();
    }

    /** The closest fresh entry that means the same, or a null item (a miss, whatever went wrong). */
    public Uni<SemanticHit> lookup(SemanticProbe probe, long nowMillis) {
        long start = System.nanoTime();
        return deadlines.within(timeoutMillis, embedder.embed(probe.text(), probe.caller()), probe::vector)
                .onFailure().recoverWithItem(failure -> {
                    metrics.lookup(embedFailure(failure), -1);
                    LOG.debugf("Semantic lookup skipped, the embedding failed: %s", failure.toString());
                    return null;
                })
                .chain(vector -> {
                    if (vector == null) {
                        return Uni.createFrom().nullItem();
                    }
                    metrics.embedded(System.nanoTime() - start);
                    probe.vector(vector);
                    return candidates(probe.contextKey(), nowMillis).chain(found -> {
                        if (found == null) {
                            metrics.lookup("l2_failed", -1);
                            return Uni.createFrom().nullItem();
                        }
                        return choose(probe, vector, found, nowMillis);
                    });
                });
    }

    private Uni<List<Candidate>> candidates(String contextKey, long nowMillis) {
        List<Candidate> inMemory = index.get(contextKey, nowMillis);
        if (inMemory != null) {
            return Uni.createFrom().item(inMemory);
        }
        return deadlines.within(l2TimeoutMillis, store.candidates(contextKey, nowMillis, maxCandidates))
                .invoke(found -> index.loaded(contextKey, found, nowMillis))
                .onFailure().recoverWithItem(failure -> {
                    LOG.debugf("Semantic candidates not read from L2: %s", failure.toString());
                    return null;
                });
    }

    private Uni<SemanticHit> choose(SemanticProbe probe, float[] vector, List<Candidate> candidates, long nowMillis) {
        Candidate best = null;
        double bestSimilarity = -1;
        double closest = -1;
        boolean refusedByGuard = false;
        for (Candidate candidate : candidates) {
            double similarity = Vectors.cosine(vector, candidate.vector());
            closest = Math.max(closest, similarity);
            if (similarity < probe.threshold() || similarity <= bestSimilarity) {
                continue;
            }
            if (!MeaningGuard.agree(probe.features(), candidate.features())) {
                refusedByGuard = true;
                continue;
            }
            best = candidate;
            bestSimilarity = similarity;
        }
        if (best == null) {
            metrics.lookup(candidates.isEmpty() ? "no_candidates" : refusedByGuard ? "guard_rejected" : "below_threshold", closest);
            return Uni.createFrom().nullItem();
        }
        Candidate chosen = best;
        double similarity = bestSimilarity;
        CacheKey exact = probe.exactKey();
        return layers.lookup(new CacheKey(chosen.cacheKey(), exact.scope(), exact.namespace(), exact.endpoint()), nowMillis).map(found -> {
            if (!found.isHit()) {
                index.removed(probe.contextKey(), chosen.cacheKey());
                metrics.lookup("entry_gone", similarity);
                return null;
            }
            metrics.lookup("hit", similarity);
            return new SemanticHit(found.entry(), similarity);
        });
    }

    /**
     * Stores the vector of a request's final text beside its entry, once the entry is in L2; the
     * vector of the lookup is reused, else it is computed now. Answers whether a row was written;
     * never fails.
     */
    public Uni<Boolean> store(SemanticProbe probe, CacheEntry entry) {
        float[] known = probe.vector();
        Uni<float[]> vector = known != null
                ? Uni.createFrom().item(known)
                : deadlines.within(timeoutMillis * 4, embedder.embed(probe.text(), probe.caller()));
        return vector.chain(v -> store.put(entry.key().hex(), probe, v, entry.createdAtMillis()).invoke(written -> {
            if (written) {
                index.added(probe.contextKey(),
                        new Candidate(entry.key().hex(), probe.text(), probe.features(), v, entry.createdAtMillis()));
            }
            metrics.stored(written ? "stored" : "skipped");
        })).onFailure().recoverWithItem(failure -> {
            metrics.stored("failed");
            LOG.debugf("Semantic vector of %s not stored: %s", entry.key().hex(), failure.toString());
            return false;
        });
    }

    /** Right to erasure: the user's questions kept as text and vectors go (their exact entries stay, as any other). */
    public Uni<Integer> eraseUser(String userId, String scope) {
        if (!enabled) {
            return Uni.createFrom().item(0);
        }
        index.clear();
        return store.eraseUser(userId, scope).invoke(index::clear);
    }

    public Uni<Integer> eraseSession(String sessionId, String scope) {
        if (!enabled) {
            return Uni.createFrom().item(0);
        }
        index.clear();
        return store.eraseSession(sessionId, scope).invoke(index::clear);
    }

    /** After an invalidation or an admin delete: the rows went with their entries; the sets in memory are read again. */
    public void forgetIndex() {
        index.clear();
    }

    /** Vectors held in memory, for the admin stats. */
    public int vectorsInMemory() {
        return index.vectors();
    }

    private static String embedFailure(Throwable failure) {
        if (failure instanceof Deadlines.DeadlineExceeded) {
            return "embed_timeout";
        }
        if (failure instanceof LocalEmbedder.EmbedderBusy) {
            return "embedder_busy";
        }
        return "embed_failed";
    }

    /** As the exact key normalises prompt text: Unicode NFC, trimmed, CRLF as LF. */
    static String normalize(String text) {
        String nfc = Normalizer.isNormalized(text, Normalizer.Form.NFC) ? text : Normalizer.normalize(text, Normalizer.Form.NFC);
        return nfc.replace("\r\n", "\n").strip();
    }
}
