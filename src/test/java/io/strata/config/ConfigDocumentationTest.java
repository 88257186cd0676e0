package io.strata.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/**
 * docs/configuration.md documents every strata.* property of the @ConfigMapping interfaces (and of
 * application.properties) with its default, and the docs name no strata.* property that does not
 * exist, so the reference cannot drift from the code.
 */
class ConfigDocumentationTest {

    private static final Path SOURCES = Path.of("src", "main", "java");
    private static final Path DOCS = Path.of("docs");
    private static final Path REFERENCE = DOCS.resolve("configuration.md");
    private static final Path PROPERTIES = Path.of("src", "main", "resources", "application.properties");
    /** A map key inside a property name, written {@code "<model>"} in the docs. */
    private static final String MAP_KEY = "\"*\"";
    private static final Pattern TABLE_ROW = Pattern.compile("^\\|\\s*`(strata\\.[^`]+)`\\s*\\|\\s*([^|]*)\\|");
    private static final Pattern MENTION = Pattern.compile("`(strata\\.[a-z0-9.\"<>*-]+)[`=]");
    private static final Pattern REFERENCED_IN_PROPERTIES = Pattern.compile("\\$\\{(strata\\.[a-z0-9.-]+)(?::([^}]*))?}");

    @Test
    void everyPropertyIsDocumentedWithItsDefault() throws IOException {
        Map<String, Optional<String>> properties = properties();
        Map<String, String> documented = documentedRows();
        List<String> problems = new ArrayList<>();
        properties.forEach((name, defaultValue) -> {
            String cell = documented.get(name);
            if (cell == null) {
                problems.add(name + " is not in " + REFERENCE);
            } else if (defaultValue.isPresent() && !firstCode(cell).equals(defaultValue.get())) {
                problems.add(name + ": the docs give default " + firstCode(cell) + ", the code " + defaultValue.get());
            }
        });
        assertEquals(List.of(), problems);
    }

    @Test
    void theDocsNameNoPropertyThatDoesNotExist() throws IOException {
        Set<String> properties = properties().keySet();
        List<String> unknown = new ArrayList<>();
        for (String row : documentedRows().keySet()) {
            if (!properties.contains(row)) {
                unknown.add(REFERENCE + ": " + row);
            }
        }
        List<Path> documents = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> files = Files.walk(DOCS)) {
            files.filter(f -> f.toString().endsWith(".md")).forEach(documents::add);
        }
        for (Path document : documents) {
            Matcher mention = MENTION.matcher(Files.readString(document));
            while (mention.find()) {
                String name = normalise(mention.group(1));
                if (!exists(name, properties)) {
                    unknown.add(document + ": " + name);
                }
            }
        }
        assertEquals(List.of(), unknown);
    }

    @Test
    void theWalkFindsNestedGroupsMapsAndDefaults() throws IOException {
        Map<String, Optional<String>> properties = properties();
        assertEquals(Optional.of("50ms"), properties.get("strata.cache.l1.timeout"));
        assertEquals(Optional.of("0"), properties.get("strata.pricing.models." + MAP_KEY + ".completion"));
        assertEquals(Optional.empty(), properties.get("strata.history.encryption.keys." + MAP_KEY));
        assertEquals(Optional.of("8"), properties.get("strata.postgres.lookup-pool-size"));
        assertTrue(properties.size() > 80, properties.keySet().toString());
    }

    private static boolean exists(String name, Set<String> properties) {
        if (properties.contains(name)) {
            return true;
        }
        String group = name.endsWith(".*") ? name.substring(0, name.length() - 1) : name + ".";
        return properties.stream().anyMatch(property -> property.startsWith(group));
    }

    /** Every property name with its default, as the config mappings and application.properties define them. */
    static Map<String, Optional<String>> properties() throws IOException {
        Map<String, Optional<String>> properties = new TreeMap<>();
        for (Class<?> mapping : mappings()) {
            walk(mapping, mapping.getAnnotation(ConfigMapping.class).prefix(), properties);
        }
        Matcher referenced = REFERENCED_IN_PROPERTIES.matcher(Files.readString(PROPERTIES));
        while (referenced.find()) {
            properties.putIfAbsent(referenced.group(1), Optional.ofNullable(referenced.group(2)));
        }
        return properties;
    }

    private static List<Class<?>> mappings() throws IOException {
        List<Class<?>> mappings = new ArrayList<>();
        Pattern declared = Pattern.compile("@ConfigMapping\\(prefix\\s*=\\s*\"strata\\.");
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                if (declared.matcher(Files.readString(file)).find()) {
                    String className = SOURCES.relativize(file).toString().replace(".java", "").replace('/', '.');
                    try {
                        mappings.add(Class.forName(className));
                    } catch (ClassNotFoundException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        assertTrue(mappings.size() >= 5, "found the mappings: " + mappings);
        return mappings;
    }

    private static void walk(Class<?> group, String prefix, Map<String, Optional<String>> properties) {
        for (Method method : group.getMethods()) {
            if (method.getParameterCount() > 0 || Modifier.isStatic(method.getModifiers()) || method.isDefault()) {
                continue;
            }
            String name = prefix + "." + (method.isAnnotationPresent(WithName.class)
                    ? method.getAnnotation(WithName.class).value()
                    : kebab(method.getName()));
            Type type = method.getGenericReturnType();
            if (method.getReturnType() == Map.class) {
                Type value = ((ParameterizedType) type).getActualTypeArguments()[1];
                if (value instanceof Class<?> valueClass && isGroup(valueClass)) {
                    walk(valueClass, name + "." + MAP_KEY, properties);
                } else {
                    properties.put(name + "." + MAP_KEY, Optional.empty());
                }
            } else if (isGroup(method.getReturnType())) {
                walk(method.getReturnType(), name, properties);
            } else {
                WithDefault defaultValue = method.getAnnotation(WithDefault.class);
                properties.put(name, Optional.ofNullable(defaultValue).map(WithDefault::value));
            }
        }
    }

    private static boolean isGroup(Class<?> type) {
        return type.isInterface() && type.getName().startsWith("io.strata.") && !type.isAnnotation();
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
    }

    /** Property name to its default cell, from the tables of docs/configuration.md. */
    private static Map<String, String> documentedRows() throws IOException {
        Map<String, String> rows = new TreeMap<>();
        for (String line : Files.readAllLines(REFERENCE)) {
            Matcher row = TABLE_ROW.matcher(line);
            if (row.find()) {
                rows.put(normalise(row.group(1)), row.group(2));
            }
        }
        return rows;
    }

    /** Map keys written as {@code "<model>"} or {@code "gpt-4o"} compare as one placeholder. */
    private static String normalise(String name) {
        return name.replaceAll("\"[^\"]*\"", MAP_KEY);
    }

    private static String firstCode(String cell) {
        Matcher code = Pattern.compile("`([^`]*)`").matcher(cell);
        return code.find() ? code.group(1) : cell.strip();
    }
}
