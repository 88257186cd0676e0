package io.strata.it;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The PromQL queries of the Grafana dashboard in k8s/grafana, and the series names they read. */
final class DashboardQueries {

    static final Path DASHBOARD = Path.of("k8s", "grafana", "strata-dashboard.json");

    private static final Pattern LABEL_MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGES = Pattern.compile("\\[[^]]*]");
    private static final Pattern GROUPINGS = Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)[^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![$\\w])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan");

    private DashboardQueries() {
    }

    /** Every query string of the dashboard: panel targets and template variables. */
    static List<String> queries() throws IOException {
        List<String> queries = new ArrayList<>();
        collect(new ObjectMapper().readTree(DASHBOARD.toFile()), queries);
        return queries;
    }

    /** The series names one query reads (functions, keywords, labels and variables left out). */
    static Set<String> seriesNames(String query) {
        Set<String> names = new TreeSet<>();
        String rest = query;
        Matcher labelValues = LABEL_VALUES.matcher(rest);
        while (labelValues.find()) {
            names.add(labelValues.group(1));
        }
        rest = LABEL_VALUES.matcher(rest).replaceAll(" ");
        rest = LABEL_MATCHERS.matcher(rest).replaceAll(" ");
        rest = RANGES.matcher(rest).replaceAll(" ");
        rest = GROUPINGS.matcher(rest).replaceAll(" ");
        Matcher identifier = IDENTIFIER.matcher(rest);
        while (identifier.find()) {
            boolean isFunction = identifier.group(2) != null;
            String name = identifier.group(1);
            if (!isFunction && !KEYWORDS.contains(name.toLowerCase())) {
                names.add(name);
            }
        }
        return names;
    }

    /** The names every query of the dashboard reads. */
    static Set<String> seriesNames() throws IOException {
        Set<String> names = new TreeSet<>();
        for (String query : queries()) {
            names.addAll(seriesNames(query));
        }
        return names;
    }

    private static void collect(JsonNode node, List<String> queries) {
        if (node.isObject()) {
            node.properties().forEach(field -> {
                boolean isQuery = field.getKey().equals("expr")
                        || (field.getKey().equals("query") && field.getValue().isTextual() && field.getValue().asText().contains("("));
                if (isQuery && field.getValue().isTextual()) {
                    queries.add(field.getValue().asText());
                } else {
                    collect(field.getValue(), queries);
                }
            });
        } else if (node.isArray()) {
            node.forEach(item -> collect(item, queries));
        }
    }
}
