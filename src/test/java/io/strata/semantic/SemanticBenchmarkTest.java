package io.strata.semantic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.config.WithDefault;
import io.strata.cache.CacheKeyFactory;
import io.strata.config.CacheConfig;
import io.strata.testing.SemanticProfile;

/**
 * The labelled set of bench/semantic/pairs.jsonl through the real model, context keys and guard:
 * precision and recall at every threshold from 0.80 to 0.99, written to
 * target/semantic-bench/precision-recall.md (bench/RESULTS.md quotes it). It fails when the
 * default threshold serves any trap, or serves fewer than 60% of the paraphrases. It runs inside
 * the application with the semantic layer on, through the application's own embedder: the ONNX and
 * tokenizer libraries are JNI and load in one class loader per JVM.
 */
@QuarkusTest
@TestProfile(SemanticProfile.class)
class SemanticBenchmarkTest {

    private static final Path PAIRS = Path.of("bench/semantic/pairs.jsonl");
    private static final Path OUT = Path.of("target/semantic-bench/precision-recall.md");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One pair: its kind, whether the two requests share a context key, the cosine of their final texts, the guard's word. */
    record Scored(String kind, String base, String probe, boolean sameContext, double similarity, String guard) {
        boolean trap() {
            return kind.startsWith("trap");
        }

        boolean served(double threshold, boolean guarded) {
            return sameContext && similarity >= threshold && (!guarded || guard == null);
        }
    }

    private static List<Scored> scored;
    private static double[] embedMillis;

    @Inject
    Embedder embedder;

    private float[] embed(String text) {
        return embedder.embed(text, new EmbeddingCaller("k:bench", null)).await().atMost(java.time.Duration.ofSeconds(30));
    }

    @BeforeEach
    void score() throws IOException {
        if (scored != null) {
            return;
        }
        assertEquals(LocalEmbedder.ID, embedder.id());
        CacheKeyFactory keys = new CacheKeyFactory(CacheConfig.Normalization.STANDARD);
        List<Scored> all = new ArrayList<>();
        List<Double> timings = new ArrayList<>();
        for (String line : Files.readAllLines(PAIRS)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode pair = JSON.readTree(line);
            JsonNode system = pair.path("system");
            JsonNode baseHistory = pair.has("history") ? pair.get("history") : pair.path("base_history");
            JsonNode probeHistory = pair.has("history") ? pair.get("history") : pair.path("probe_history");
            FinalTurn base = FinalTurns.chat(chat(system.path(0), baseHistory, pair.get("base").textValue()));
            FinalTurn probe = FinalTurns.chat(chat(system.path(1), probeHistory, pair.get("probe").textValue()));
            boolean sameContext = SemanticCache.contextKey(keys, LocalEmbedder.ID, "k:bench", "", "chat.completions", base.context())
                    .equals(SemanticCache.contextKey(keys, LocalEmbedder.ID, "k:bench", "", "chat.completions", probe.context()));
            String a = SemanticCache.normalize(base.text());
            String b = SemanticCache.normalize(probe.text());
            long start = System.nanoTime();
            float[] va = embed(a);
            timings.add((System.nanoTime() - start) / 1e6);
            start = System.nanoTime();
            float[] vb = embed(b);
            timings.add((System.nanoTime() - start) / 1e6);
            all.add(new Scored(pair.get("kind").textValue(), a, b, sameContext, Vectors.cosine(va, vb),
                    MeaningGuard.disagreement(MeaningGuard.features(a), MeaningGuard.features(b))));
        }
        scored = all;
        embedMillis = timings.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        Files.createDirectories(OUT.getParent());
        Files.writeString(OUT, report());
        System.out.println(report());
    }

    /** A chat body: optional system prompt, earlier turns, the final user text. */
    private static JsonNode chat(JsonNode system, JsonNode history, String text) {
        ObjectNode body = JSON.createObjectNode().put("model", "gpt-4o-mini").put("temperature", 0);
        ArrayNode messages = body.putArray("messages");
        if (system.isTextual()) {
            messages.addObject().put("role", "system").put("content", system.textValue());
        }
        for (JsonNode turn : history) {
            messages.addObject().put("role", turn.get(0).textValue()).put("content", turn.get(1).textValue());
        }
        messages.addObject().put("role", "user").put("content", text);
        return body;
    }

    static double defaultThreshold() {
        try {
            return Double.parseDouble(CacheConfig.Semantic.class.getMethod("threshold").getAnnotation(WithDefault.class).value());
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theSetIsLargeEnoughAndHalfTraps() {
        long traps = scored.stream().filter(Scored::trap).count();
        assertTrue(scored.size() >= 100, "at least 100 pairs");
        assertTrue(traps >= scored.size() * 0.4 && traps <= scored.size() * 0.6, "about half traps: " + traps + " of " + scored.size());
    }

    @Test
    void theDefaultThresholdServesNoTrapAndMostParaphrases() {
        double threshold = defaultThreshold();
        List<Scored> servedTraps = scored.stream().filter(s -> s.trap() && s.served(threshold, true)).toList();
        assertEquals(List.of(), servedTraps, "traps served at the default threshold " + threshold);
        double recall = recall(threshold, true);
        assertTrue(recall >= 0.60, "paraphrase recall at the default threshold " + threshold + ": " + recall);
    }

    @Test
    void followUpsAfterDifferentTurnsNeverShareACandidateSet() {
        for (Scored s : scored) {
            if (s.kind().equals("trap:follow-up")) {
                assertTrue(!s.sameContext(), "same context for " + s);
            }
        }
    }

    private static double recall(double threshold, boolean guarded) {
        long paraphrases = scored.stream().filter(s -> !s.trap()).count();
        return (double) scored.stream().filter(s -> !s.trap() && s.served(threshold, guarded)).count() / paraphrases;
    }

    private static String report() {
        StringBuilder out = new StringBuilder();
        long paraphrases = scored.stream().filter(s -> !s.trap()).count();
        long traps = scored.size() - paraphrases;
        out.append(String.format(Locale.ROOT, "%d pairs: %d paraphrases, %d traps%n%n", scored.size(), paraphrases, traps));
        Map<String, Integer> kinds = new LinkedHashMap<>();
        scored.forEach(s -> kinds.merge(s.kind(), 1, Integer::sum));
        out.append("kinds: ").append(kinds).append("\n\n");
        out.append(
                "| threshold | recall, cosine only | traps served, cosine only | precision, cosine only | recall, with guard | traps served, with guard | precision, with guard |\n");
        out.append("|---|---|---|---|---|---|---|\n");
        for (int i = 80; i <= 99; i++) {
            double t = i / 100.0;
            out.append(String.format(Locale.ROOT, "| %.2f | %s | %s | %s | %s | %s | %s |%n", t, pct(recall(t, false)),
                    servedTraps(t, false), precision(t, false), pct(recall(t, true)), servedTraps(t, true), precision(t, true)));
        }
        out.append(String.format(Locale.ROOT,
                "%nembedding of one text through the local embedder (ms, in the test JVM): p50 %.2f, p99 %.2f, max %.2f%n",
                embedMillis[embedMillis.length / 2], embedMillis[(int) Math.ceil(embedMillis.length * 0.99) - 1],
                embedMillis[embedMillis.length - 1]));
        out.append("\n| kind | cosine | guard | base | probe |\n|---|---|---|---|---|\n");
        scored.stream().sorted((x, y) -> Double.compare(y.similarity(), x.similarity())).forEach(s -> out.append(String.format(
                Locale.ROOT, "| %s | %.4f%s | %s | %s | %s |%n", s.kind(), s.similarity(), s.sameContext() ? "" : " (other context)",
                s.guard() == null ? "agree" : s.guard(), s.base(), s.probe())));
        return out.toString();
    }

    private static long servedTraps(double t, boolean guarded) {
        return scored.stream().filter(s -> s.trap() && s.served(t, guarded)).count();
    }

    private static String precision(double t, boolean guarded) {
        long served = scored.stream().filter(s -> s.served(t, guarded)).count();
        return served == 0 ? "n/a" : pct((double) scored.stream().filter(s -> !s.trap() && s.served(t, guarded)).count() / served);
    }

    private static String pct(double share) {
        return String.format(Locale.ROOT, "%.1f%%", share * 100);
    }

    static double[] sorted(double[] values) {
        double[] copy = values.clone();
        Arrays.sort(copy);
        return copy;
    }
}
