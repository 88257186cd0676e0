package io.strata.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/** values.schema.json describes every value a user can set, and knows every value values.yaml has. */
class ChartValuesSchemaTest {

    @Test
    void everyValueHasADescription() throws IOException {
        JsonNode schema = new ObjectMapper().readTree(Chart.DIRECTORY.resolve("values.schema.json").toFile());
        List<String> properties = new ArrayList<>();
        List<String> undescribed = new ArrayList<>();
        walk(schema, "", properties, undescribed);
        assertTrue(properties.size() > 200, "the walk found the properties: " + properties.size());
        assertEquals(List.of(), undescribed, undescribed.size() + " of " + properties.size() + " values have no description");
    }

    @Test
    void everyKeyOfValuesYamlIsInTheSchema() throws IOException {
        JsonNode schema = new ObjectMapper().readTree(Chart.DIRECTORY.resolve("values.schema.json").toFile());
        JsonNode values = new YAMLMapper().readTree(Chart.DIRECTORY.resolve("values.yaml").toFile());
        List<String> unknown = new ArrayList<>();
        keysMissingFrom(schema, values, "", unknown);
        assertEquals(List.of(), unknown);
    }

    private static void walk(JsonNode node, String path, List<String> properties, List<String> undescribed) {
        for (Map.Entry<String, JsonNode> property : node.path("properties").properties()) {
            String name = path.isEmpty() ? property.getKey() : path + "." + property.getKey();
            properties.add(name);
            if (property.getValue().path("description").asText("").isBlank()) {
                undescribed.add(name);
            }
            walk(property.getValue(), name, properties, undescribed);
        }
        if (node.path("items").isObject()) {
            walk(node.path("items"), path + "[]", properties, undescribed);
        }
        if (node.path("additionalProperties").isObject()) {
            walk(node.path("additionalProperties"), path + ".*", properties, undescribed);
        }
    }

    private static void keysMissingFrom(JsonNode schema, JsonNode values, String path, List<String> unknown) {
        if (!values.isObject() || !schema.has("properties")) {
            return;
        }
        for (Map.Entry<String, JsonNode> value : values.properties()) {
            String name = path.isEmpty() ? value.getKey() : path + "." + value.getKey();
            JsonNode property = schema.path("properties").path(value.getKey());
            if (property.isMissingNode()) {
                unknown.add(name);
            } else {
                keysMissingFrom(property, value.getValue(), name, unknown);
            }
        }
    }
}
