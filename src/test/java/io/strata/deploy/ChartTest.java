package io.strata.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.LintResult;

import io.strata.deploy.Chart.Rendered;

/** helm lint and helm template of the chart, in both deployment modes with both image flavors, checked object by object. */
class ChartTest {

    @Test
    void lintFindsNothing() {
        LintResult lint = Chart.helm().lint().strict().call();
        assertFalse(lint.isFailed(), String.join("\n", lint.getMessages()));
    }

    @ParameterizedTest(name = "{0} mode, {1} image")
    @CsvSource({"standalone, native", "standalone, jvm", "sidecar, native", "sidecar, jvm"})
    void thePodRunsStrataLockedDownWithProbesOnTheManagementPort(String mode, String flavor) {
        Rendered chart = Chart.render(values(mode, flavor));
        JsonNode strata = chart.strata();

        if (mode.equals("sidecar")) {
            assertTrue(chart.container("initContainers", "strata").isPresent(), "a native sidecar is an init container");
            assertEquals("Always", strata.path("restartPolicy").asText(), "restartPolicy: Always makes the init container a sidecar");
            JsonNode app = chart.container("containers", "app").orElseThrow();
            assertEquals("example/chat:1.0", app.path("image").asText());
            assertEquals("http://127.0.0.1:8080/v1", env(app, "OPENAI_BASE_URL"));
            assertEquals("127.0.0.1", chart.get("ConfigMap").path("data").path("QUARKUS_HTTP_HOST").asText(),
                    "the API listens on loopback only");
            assertEquals(true, app.path("securityContext").path("readOnlyRootFilesystem").asBoolean());
            assertTrue(chart.get("ConfigMap").path("data").path("STRATA_API_SHUTDOWN_DELAY").isMissingNode(),
                    "a sidecar's application stops before it: no shutdown delay");
        } else {
            assertTrue(chart.container("containers", "strata").isPresent());
            assertTrue(strata.path("restartPolicy").isMissingNode(), "a plain container has no restartPolicy");
            assertTrue(chart.get("ConfigMap").path("data").path("QUARKUS_HTTP_HOST").isMissingNode());
            assertEquals("5s", chart.get("ConfigMap").path("data").path("STRATA_API_SHUTDOWN_DELAY").asText(),
                    "on SIGTERM, readiness DOWN and still serving while the Service stops routing to the pod");
        }
        assertTrue(chart.podSpec().path("terminationGracePeriodSeconds").asInt() >= 5 + 15 + 20,
                "the pod's grace covers the shutdown delay, the requests in flight and the history drain");

        assertEquals(9000, port(strata, "management"));
        assertEquals(8080, port(strata, "http"));
        assertProbe(strata, "startupProbe", "/q/health/started");
        assertProbe(strata, "livenessProbe", "/q/health/live");
        assertProbe(strata, "readinessProbe", "/q/health/ready");

        JsonNode security = strata.path("securityContext");
        assertEquals(true, security.path("runAsNonRoot").asBoolean(false));
        assertEquals(true, security.path("readOnlyRootFilesystem").asBoolean(false));
        assertEquals(false, security.path("allowPrivilegeEscalation").asBoolean(true));
        assertEquals(false, security.path("privileged").asBoolean(true));
        assertEquals(List.of("ALL"), texts(security.path("capabilities").path("drop")));
        assertEquals("RuntimeDefault", security.path("seccompProfile").path("type").asText());
        assertEquals(true, chart.podSpec().path("securityContext").path("runAsNonRoot").asBoolean(false));
        assertEquals(false, chart.podSpec().path("automountServiceAccountToken").asBoolean(true));

        String tmpVolume = null;
        for (JsonNode mount : strata.path("volumeMounts")) {
            if (mount.path("mountPath").asText().equals("/tmp")) {
                tmpVolume = mount.path("name").asText();
            }
        }
        assertEquals("64Mi", volume(chart, tmpVolume).path("emptyDir").path("sizeLimit").asText(),
                "the read-only root filesystem needs a writable /tmp");

        JsonNode resources = strata.path("resources");
        JsonNode configMap = chart.get("ConfigMap").path("data");
        if (flavor.equals("jvm")) {
            assertEquals("512Mi", resources.path("limits").path("memory").asText());
            assertEquals("256Mi", resources.path("requests").path("memory").asText());
            assertTrue(configMap.path("JAVA_OPTS_APPEND").asText().contains("-Xmx128m"), configMap.toString());
        } else {
            assertEquals("128Mi", resources.path("limits").path("memory").asText());
            assertEquals("64Mi", resources.path("requests").path("memory").asText());
            assertTrue(configMap.path("JAVA_OPTS_APPEND").isMissingNode(), configMap.toString());
        }
        assertTrue(resources.path("limits").path("cpu").isMissingNode(), "no CPU limit: throttling hurts a proxy");
        assertEquals(chart.get("ConfigMap").path("metadata").path("name").asText(), envFromNames(strata, "configMapRef").get(0));

        JsonNode service = chart.get("Service").path("spec").path("ports");
        assertEquals(1, service.size());
        assertEquals(mode.equals("sidecar") ? "app-http" : "http", service.get(0).path("targetPort").asText(),
                "the Service never exposes the management port");
    }

    @Test
    void secretValuesGoToASecretTheContainerReadsAndNeverToTheConfigMap() {
        Map<String, Object> values = values("standalone", "native");
        values.put("strata", Map.of("upstream", Map.of("authMode", "replace", "apiKey", "sk-provider"),
                "api", Map.of("clientKeys", List.of("key-a", "key-b"), "adminToken", "admin-secret")));
        values.put("externalDatabase", Map.of("password", "pg-secret"));
        Rendered chart = Chart.render(values);

        JsonNode secret = chart.get("Secret");
        assertEquals("sk-provider", decoded(secret, "STRATA_UPSTREAM_API_KEY"));
        assertEquals("key-a,key-b", decoded(secret, "STRATA_API_CLIENT_KEYS"));
        assertEquals("admin-secret", decoded(secret, "STRATA_API_ADMIN_TOKEN"));
        assertEquals("pg-secret", decoded(secret, "QUARKUS_DATASOURCE_PASSWORD"));
        assertTrue(secret.path("data").path("STRATA_HISTORY_TOKEN").isMissingNode(), "empty secrets are left out");
        assertEquals(List.of(secret.path("metadata").path("name").asText()), envFromNames(chart.strata(), "secretRef"));
        String configMap = chart.get("ConfigMap").toString();
        for (String value : List.of("sk-provider", "key-a", "admin-secret", "pg-secret")) {
            assertFalse(configMap.contains(value), value + " leaked into the ConfigMap");
        }
        String checksum = chart.get("Deployment").path("spec").path("template").path("metadata").path("annotations")
                .path("checksum/secret").asText();
        assertEquals(64, checksum.length(), "a changed secret rolls the pods");
    }

    @Test
    void anExistingSecretIsReferencedAndTheChartRendersNone() {
        Map<String, Object> values = values("sidecar", "native");
        values.put("existingSecret", "strata-secrets");
        values.put("strata", Map.of("upstream", Map.of("apiKey", "ignored")));
        Rendered chart = Chart.render(values);
        assertTrue(chart.find("Secret").isEmpty(), chart.kinds().toString());
        assertEquals(List.of("strata-secrets"), envFromNames(chart.strata(), "secretRef"));
    }

    @Test
    void withoutSecretValuesThereIsNoSecretAndNoReference() {
        Rendered chart = Chart.render(values("standalone", "jvm"));
        assertTrue(chart.find("Secret").isEmpty(), chart.kinds().toString());
        assertEquals(List.of(), envFromNames(chart.strata(), "secretRef"));
    }

    @Test
    void theSchemaRefusesBadValues() {
        assertRefused(Map.of("mode", "sideways"), "mode");
        assertRefused(Map.of("image", Map.of("flavor", "graal")), "flavor");
        assertRefused(Map.of("replicas", 3), "replicas");
        assertRefused(Map.of("tmpVolume", Map.of("sizeLimit", "lots")), "sizeLimit");
        assertRefused(Map.of("strata", Map.of("history", Map.of("mode", "everything"))), "mode");
    }

    @Test
    void valuesThatDoNotFitTogetherAreRefusedWithAMessage() {
        Map<String, Object> noAppImage = new HashMap<>(Map.of("mode", "sidecar"));
        Exception refused = assertThrows(Exception.class, () -> Chart.render(noAppImage));
        assertTrue(refused.getMessage().contains("app.image.repository"), refused.getMessage());

        Map<String, Object> replaceWithoutKey = values("standalone", "native");
        replaceWithoutKey.put("strata", Map.of("upstream", Map.of("authMode", "replace")));
        refused = assertThrows(Exception.class, () -> Chart.render(replaceWithoutKey));
        assertTrue(refused.getMessage().contains("strata.upstream.apiKey"), refused.getMessage());
    }

    @Test
    void kubernetesWithoutNativeSidecarsIsRefused() {
        Exception refused = assertThrows(Exception.class, () -> Chart.render(values("standalone", "native"), "1.28.0"));
        assertTrue(refused.getMessage().contains("kubeVersion"), refused.getMessage());
    }

    private static void assertRefused(Map<String, Object> bad, String field) {
        Map<String, Object> values = values("standalone", "native");
        values.putAll(bad);
        Exception refused = assertThrows(Exception.class, () -> Chart.render(values), "accepted " + bad);
        assertTrue(refused.getMessage().contains("schema") && refused.getMessage().contains(field),
                "refused by the schema, naming " + field + ": " + refused.getMessage());
    }

    private static Map<String, Object> values(String mode, String flavor) {
        Map<String, Object> values = new HashMap<>();
        values.put("mode", mode);
        values.put("image", Map.of("flavor", flavor));
        if (mode.equals("sidecar")) {
            values.put("app", Map.of("image", Map.of("repository", "example/chat", "tag", "1.0")));
        }
        return values;
    }

    private static void assertProbe(JsonNode container, String probe, String path) {
        JsonNode httpGet = container.path(probe).path("httpGet");
        assertEquals(path, httpGet.path("path").asText(), probe);
        assertEquals("management", httpGet.path("port").asText(), probe + " runs on the management port (9000)");
    }

    private static int port(JsonNode container, String name) {
        for (JsonNode port : container.path("ports")) {
            if (port.path("name").asText().equals(name)) {
                return port.path("containerPort").asInt();
            }
        }
        throw new AssertionError("no port " + name + " in " + container);
    }

    private static String env(JsonNode container, String name) {
        for (JsonNode variable : container.path("env")) {
            if (variable.path("name").asText().equals(name)) {
                return variable.path("value").asText();
            }
        }
        return null;
    }

    private static List<String> envFromNames(JsonNode container, String kind) {
        List<String> names = new ArrayList<>();
        for (JsonNode source : container.path("envFrom")) {
            if (source.has(kind)) {
                names.add(source.path(kind).path("name").asText());
            }
        }
        return names;
    }

    private static JsonNode volume(Rendered chart, String name) {
        for (JsonNode volume : chart.podSpec().path("volumes")) {
            if (volume.path("name").asText().equals(name)) {
                return volume;
            }
        }
        throw new AssertionError("no volume " + name);
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(item -> texts.add(item.asText()));
        return texts;
    }

    private static String decoded(JsonNode secret, String key) {
        return new String(Base64.getDecoder().decode(secret.path("data").path(key).asText()), StandardCharsets.UTF_8);
    }
}
