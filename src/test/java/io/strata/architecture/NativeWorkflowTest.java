package io.strata.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * .github/workflows/native.yml cannot run on the machines Strata is built on (no GraalVM, no
 * Docker): this checks that it is valid YAML with the structure GitHub Actions expects, and that it
 * builds the native executable, runs the integration tests against it and reports size, start-up
 * and RSS.
 */
class NativeWorkflowTest {

    private static final Path WORKFLOW = Path.of(".github/workflows/native.yml");

    @Test
    @SuppressWarnings("unchecked")
    void workflowBuildsTestsAndMeasuresTheNativeExecutable() throws IOException {
        Map<String, Object> workflow = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(WORKFLOW));
        assertEquals("native", workflow.get("name"));
        // YAML 1.1 (SnakeYAML) reads the bare key `on` as the boolean true
        Map<String, Object> triggers = (Map<String, Object>) (workflow.containsKey("on") ? workflow.get("on") : workflow.get(Boolean.TRUE));
        assertNotNull(triggers, "no `on:` triggers");
        assertTrue(triggers.containsKey("workflow_dispatch"), "can be started by hand");

        Map<String, Object> jobs = (Map<String, Object>) workflow.get("jobs");
        Map<String, Object> job = (Map<String, Object>) jobs.get("native");
        assertNotNull(job, "job `native`");
        assertTrue(job.get("runs-on").toString().startsWith("ubuntu"));
        assertTrue(job.get("timeout-minutes") instanceof Integer, "a bounded job");
        Map<String, Object> services = (Map<String, Object>) job.get("services");
        assertTrue(services.containsKey("redis") && services.containsKey("postgres"), "Redis and Postgres for the measurement");

        List<Map<String, Object>> steps = (List<Map<String, Object>>) job.get("steps");
        for (Map<String, Object> step : steps) {
            assertTrue(step.containsKey("uses") ^ step.containsKey("run"), "a step either uses an action or runs a command: " + step);
            if (step.containsKey("uses")) {
                assertTrue(step.get("uses").toString().matches("[\\w.-]+/[\\w.-]+@v\\d+"),
                        "actions pinned to a major version: " + step.get("uses"));
            }
        }
        String commands = String.join("\n", steps.stream().filter(s -> s.containsKey("run")).map(s -> s.get("run").toString()).toList());
        assertTrue(commands.contains("./mvnw") && commands.contains("verify") && commands.contains("-Dnative"),
                "builds the native executable and runs the integration tests against it");
        assertTrue(commands.contains("stat -c %s"), "reports the executable's size");
        assertTrue(commands.contains("bench/startup.sh"), "measures start-up and RSS");
        assertTrue(Files.exists(Path.of("bench/startup.sh")));
        Map<String, Object> measure = steps.stream().filter(s -> s.getOrDefault("run", "").toString().contains("bench/startup.sh"))
                .findFirst().orElseThrow();
        assertTrue(((Map<String, Object>) measure.get("env")).get("VARIANTS").toString().contains("native"));
        assertTrue(commands.contains("GITHUB_STEP_SUMMARY"), "figures in the run's summary");
        assertTrue(steps.stream().anyMatch(s -> s.getOrDefault("uses", "").toString().startsWith("actions/upload-artifact@")),
                "results kept");
    }
}
