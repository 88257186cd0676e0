package io.strata.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The packages show the architecture: they depend on each other without cycles, and the ones
 * below the edge never reach up to it. Read from the sources' imports (and fully qualified uses),
 * so it needs no library and sees what a reader sees.
 */
class PackageCyclesTest {

    private static final Path SOURCES = Path.of("src/main/java");
    private static final Pattern REFERENCE = Pattern.compile("\\b(io\\.strata(?:\\.[a-z][a-z0-9]*)+)\\.[A-Z]");

    @Test
    void packagesHaveNoDependencyCycle() throws IOException {
        Map<String, Set<String>> graph = dependencies();
        List<String> cycle = findCycle(graph);
        assertTrue(cycle.isEmpty(), "package cycle: " + String.join(" -> ", cycle) + "\ngraph: " + graph);
    }

    @Test
    void onlyTheEdgeKnowsTheEdge() throws IOException {
        Map<String, Set<String>> graph = dependencies();
        for (var entry : graph.entrySet()) {
            if (!entry.getKey().equals("io.strata.api")) {
                assertTrue(!entry.getValue().contains("io.strata.api"), entry.getKey() + " imports io.strata.api");
            }
        }
        assertEquals(Set.of(), graph.getOrDefault("io.strata.core", Set.of()), "core depends on no other Strata package");
    }

    @Test
    void aCycleIsFound() {
        Map<String, Set<String>> graph = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"));
        assertEquals(List.of("a", "b", "c", "a"), findCycle(graph));
        assertEquals(List.of(), findCycle(Map.of("a", Set.of("b"), "b", Set.of())));
    }

    private static Map<String, Set<String>> dependencies() throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String from = SOURCES.relativize(file.getParent()).toString().replace('/', '.');
                Set<String> to = graph.computeIfAbsent(from, k -> new TreeSet<>());
                Matcher references = REFERENCE.matcher(Files.readString(file));
                while (references.find()) {
                    String target = references.group(1);
                    if (!target.equals(from)) {
                        to.add(target);
                    }
                }
            }
        }
        return graph;
    }

    /** A cycle as the path that closes it (first node repeated at the end), or empty. */
    static List<String> findCycle(Map<String, Set<String>> graph) {
        Map<String, Integer> state = new HashMap<>(); // 1 on the current path, 2 done
        for (String start : new TreeSet<>(graph.keySet())) {
            Deque<String> path = new ArrayDeque<>();
            List<String> cycle = visit(start, graph, state, path);
            if (!cycle.isEmpty()) {
                return cycle;
            }
        }
        return List.of();
    }

    private static List<String> visit(String node, Map<String, Set<String>> graph, Map<String, Integer> state, Deque<String> path) {
        Integer seen = state.get(node);
        if (seen != null && seen == 2) {
            return List.of();
        }
        if (seen != null && seen == 1) {
            List<String> cycle = new ArrayList<>();
            boolean in = false;
            for (var oldestFirst = path.descendingIterator(); oldestFirst.hasNext();) {
                String step = oldestFirst.next();
                in |= step.equals(node);
                if (in) {
                    cycle.add(step);
                }
            }
            cycle.add(node);
            return cycle;
        }
        state.put(node, 1);
        path.push(node);
        for (String next : new TreeSet<>(graph.getOrDefault(node, Set.of()))) {
            List<String> cycle = visit(next, graph, state, path);
            if (!cycle.isEmpty()) {
                return cycle;
            }
        }
        path.pop();
        state.put(node, 2);
        return List.of();
    }
}
