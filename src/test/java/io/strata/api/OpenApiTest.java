package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.strata.testing.StrataTest;

/**
 * /q/openapi describes the proxy endpoints (Vert.x routes the annotation scanner cannot see) from
 * META-INF/openapi.yaml, merged with the scanned history and admin resources, whose bodies refer
 * to the schemas of that file.
 */
@QuarkusTest
class OpenApiTest extends StrataTest {

    @TestHTTPResource(value = "/openapi", management = true)
    URL openapi;

    private JsonPath document;

    @BeforeEach
    void read() {
        document = given().queryParam("format", "json").get(openapi).then().statusCode(200).extract().jsonPath();
    }

    @Test
    void everyProxyEndpointIsListedWithItsRequestAndAnswerSchemas() {
        assertOperation("/v1/chat/completions", "post", "ChatCompletionRequest", "ChatCompletion", "ChatCompletionStream");
        assertOperation("/v1/completions", "post", "CompletionRequest", "Completion", "CompletionStream");
        assertOperation("/v1/embeddings", "post", "EmbeddingRequest", "EmbeddingList", null);
        assertOperation("/v1/responses", "post", "ResponseRequest", "Response", "ResponseStream");
        assertEquals("#/components/schemas/ModelList",
                document.getString("paths.'/v1/models'.get.responses.'200'.content.'application/json'.schema.'$ref'"));
        assertTrue(document.getMap("paths").containsKey("/v1/history/sessions/{sessionId}"), "the scanned resources are still there");
    }

    @Test
    void theCacheHeadersAndTheErrorBodyAreDescribed() {
        Map<String, Object> headers = document.getMap("paths.'/v1/chat/completions'.post.responses.'200'.headers");
        assertTrue(headers.keySet().containsAll(List.of("X-Cache-Status", "X-Cache-Key", "X-Request-Id", "Age")), headers.toString());
        assertEquals(List.of("HIT-NEAR", "HIT-L1", "HIT-L2", "HIT-SEMANTIC", "MISS", "COALESCED", "STALE", "BYPASS"),
                document.getList("components.headers.X-Cache-Status.schema.enum"));
        List<String> parameters = document.getList("components.parameters.collect { it.value.name }");
        assertTrue(
                parameters.containsAll(List.of("Cache-Control", "X-Cache-TTL", "X-Cache-Namespace", "X-Session-Id", "X-Session-Continue")),
                parameters.toString());
        assertEquals("#/components/schemas/Error",
                document.getString("components.responses.BadRequest.content.'application/json'.schema.'$ref'"));
        assertEquals(List.of("message", "type"), document.getList("components.schemas.Error.properties.error.required"));
        assertEquals("#/components/responses/RateLimited",
                document.getString("paths.'/v1/chat/completions'.post.responses.'429'.'$ref'"));
    }

    @Test
    void noBodyIsDescribedAsAJavaType() {
        Map<String, Object> schemas = document.getMap("components.schemas");
        assertFalse(schemas.keySet().stream().anyMatch(name -> name.startsWith("Buffer") || name.endsWith("Node")),
                "Buffer, JsonNode, ObjectNode are Java types, not bodies: " + schemas.keySet());
        assertEquals("#/components/schemas/HistoryRecordList",
                document.getString(
                        "paths.'/v1/history/sessions/{sessionId}'.get.responses.'200'.content.'application/json'.schema.'$ref'"));
        assertEquals("#/components/schemas/InvalidationRequest",
                document.getString("paths.'/admin/cache/invalidate'.post.requestBody.content.'application/json'.schema.'$ref'"));
        assertEquals(List.of("model", "messages"), document.getList("components.schemas.ChatCompletionRequest.required"));
    }

    private void assertOperation(String path, String method, String request, String answer, String stream) {
        String operation = "paths.'" + path + "'." + method;
        assertEquals("#/components/schemas/" + request,
                document.getString(operation + ".requestBody.content.'application/json'.schema.'$ref'"), path);
        assertEquals("#/components/schemas/" + answer,
                document.getString(operation + ".responses.'200'.content.'application/json'.schema.'$ref'"), path);
        if (stream != null) {
            assertEquals("#/components/schemas/" + stream,
                    document.getString(operation + ".responses.'200'.content.'text/event-stream'.schema.'$ref'"), path);
        }
        assertTrue(document.getMap("components.schemas").containsKey(request), request);
    }
}
