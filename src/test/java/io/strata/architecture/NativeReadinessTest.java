package io.strata.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Field;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.strata.schema.SchemaMigrator;

/**
 * What a native image needs is declared, not discovered at run time: every resource the app ships
 * is matched by quarkus.native.resources.includes (a native executable holds only those), the
 * schema scripts are listed rather than scanned, and nothing binds JSON or loads classes by
 * reflection unless the class registers itself (@RegisterForReflection). Read from the sources and
 * application.properties, so it runs on any JDK; the native build itself runs in
 * .github/workflows/native.yml.
 */
class NativeReadinessTest {

    private static final Path RESOURCES = Path.of("src/main/resources");
    private static final Path SOURCES = Path.of("src/main/java");

    /**
     * Read by Quarkus itself, not from the native resource list: the configuration, static web content,
     * and the OpenAPI document (merged into the generated one at build time).
     */
    private static final List<String> SERVED_BY_QUARKUS = List.of("application.properties", "META-INF/resources/", "META-INF/openapi.");

    /** Calls that need reflection metadata in a native image (Jackson data binding, class loading by name, reflective constructors, proxies). */
    private static final Pattern REFLECTIVE = Pattern.compile("\\.(readValue|convertValue|treeToValue|valueToTree|mapTo|mapFrom)\\("
            + "|Class\\.forName\\(|\\.getDeclared(Field|Method|Constructor)s?\\(|\\.getConstructors?\\(|Proxy\\.newProxyInstance\\(|ServiceLoader\\.load\\(");

    @Test
    void everyShippedResourceIsIncludedInTheNativeImage() throws IOException {
        List<PathMatcher> includes = includes();
        assertFalse(includes.isEmpty(), "quarkus.native.resources.includes is not set");
        List<String> missing = new ArrayList<>();
        try (Stream<Path> files = Files.walk(RESOURCES)) {
            files.filter(Files::isRegularFile).map(file -> RESOURCES.relativize(file).toString().replace('\\', '/'))
                    .filter(name -> SERVED_BY_QUARKUS.stream().noneMatch(name::startsWith))
                    .filter(name -> includes.stream().noneMatch(glob -> glob.matches(Path.of(name))))
                    .forEach(missing::add);
        }
        assertTrue(missing.isEmpty(),
                "resources a native executable would not contain (add them to quarkus.native.resources.includes): " + missing);
    }

    @Test
    void schemaScriptsAreListedNotScanned() throws Exception {
        List<String> onDisk;
        try (Stream<Path> files = Files.list(RESOURCES.resolve("db"))) {
            onDisk = files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".sql"))
                    .sorted(NativeReadinessTest::byVersion).toList();
        }
        Field listed = SchemaMigrator.class.getDeclaredField("SCRIPTS");
        listed.setAccessible(true);
        assertEquals(onDisk, listed.get(null), "SchemaMigrator.SCRIPTS must name every script under db/, in version order");
        PathMatcher sql = includes().stream().filter(glob -> glob.matches(Path.of("db/" + onDisk.get(0)))).findFirst().orElse(null);
        assertTrue(sql != null, "db/*.sql must be in quarkus.native.resources.includes");
    }

    @Test
    void nothingIsReflectedWithoutRegistration() throws IOException {
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String source = Files.readString(file);
                if (source.contains("@RegisterForReflection") || file.toString().contains("/dev/")) {
                    continue; // registered, or dev-mode code that is never packaged
                }
                Matcher call = REFLECTIVE.matcher(source);
                while (call.find()) {
                    offenders.add(SOURCES.relativize(file) + ": " + call.group());
                }
            }
        }
        assertTrue(offenders.isEmpty(),
                "reflection without @RegisterForReflection (use Jackson's tree model, or register the class): " + offenders);
    }

    private static List<PathMatcher> includes() throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(RESOURCES.resolve("application.properties"))) {
            properties.load(reader);
        }
        String value = properties.getProperty("quarkus.native.resources.includes", "");
        return Arrays.stream(value.split(",")).map(String::trim).filter(glob -> !glob.isEmpty())
                .map(glob -> FileSystems.getDefault().getPathMatcher("glob:" + glob)).toList();
    }

    private static int byVersion(String a, String b) {
        return Integer.compare(version(a), version(b));
    }

    private static int version(String script) {
        return Integer.parseInt(script.substring(1, script.indexOf("__")));
    }
}
