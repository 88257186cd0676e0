package io.strata.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;

/** The chart in k8s/strata, rendered by the Helm library itself (helm-java) for a Kubernetes version the chart accepts. */
final class Chart {

    static final Path DIRECTORY = Path.of("k8s", "strata");
    static final String KUBE_VERSION = "1.29.0";
    private static final YAMLMapper YAML = new YAMLMapper();

    private Chart() {
    }

    static Helm helm() {
        return new Helm(DIRECTORY);
    }

    /** {@code helm template} with the given values (as a values file, so lists and maps pass as they are). */
    static Rendered render(Map<String, Object> values) {
        return render(values, KUBE_VERSION);
    }

    static Rendered render(Map<String, Object> values, String kubeVersion) {
        Path valuesFile = null;
        try {
            valuesFile = Files.createTempFile("strata-values", ".yaml");
            YAML.writeValue(valuesFile.toFile(), values);
            String manifest = helm().template().withName("chat").withNamespace("llm").withKubeVersion(kubeVersion)
                    .withValuesFile(valuesFile).call();
            return new Rendered(parse(manifest));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } finally {
            if (valuesFile != null) {
                valuesFile.toFile().delete();
            }
        }
    }

    private static List<JsonNode> parse(String manifest) throws IOException {
        List<JsonNode> objects = new ArrayList<>();
        try (MappingIterator<JsonNode> documents = YAML.readerFor(JsonNode.class).readValues(manifest)) {
            while (documents.hasNext()) {
                JsonNode document = documents.next();
                if (document != null && !document.isNull() && !document.isEmpty()) {
                    objects.add(document);
                }
            }
        }
        return objects;
    }

    /** The objects of one rendering. */
    record Rendered(List<JsonNode> objects) {

        Optional<JsonNode> find(String kind) {
            return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).findFirst();
        }

        JsonNode get(String kind) {
            return find(kind).orElseThrow(() -> new AssertionError("no " + kind + " in " + kinds()));
        }

        List<String> kinds() {
            return objects.stream().map(o -> o.path("kind").asText() + "/" + o.path("metadata").path("name").asText()).toList();
        }

        JsonNode podSpec() {
            return get("Deployment").path("spec").path("template").path("spec");
        }

        /** The container named {@code name} in the pod's {@code list} (containers or initContainers). */
        Optional<JsonNode> container(String list, String name) {
            for (JsonNode container : podSpec().path(list)) {
                if (name.equals(container.path("name").asText())) {
                    return Optional.of(container);
                }
            }
            return Optional.empty();
        }

        JsonNode strata() {
            return container("initContainers", "strata").or(() -> container("containers", "strata"))
                    .orElseThrow(() -> new AssertionError("no strata container"));
        }
    }
}
