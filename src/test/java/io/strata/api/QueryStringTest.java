package io.strata.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.testing.Provider;
import io.strata.testing.StrataTest;

/**
 * A cached endpoint's query string (Azure OpenAI's {@code ?api-version=}) goes upstream as it came
 * and is part of the cache key: two versions never share an answer, a request without a query keeps
 * its own entries.
 */
@QuarkusTest
class QueryStringTest extends StrataTest {

    @BeforeEach
    void reset() {
        Provider.reset();
    }

    private static Response chatAt(String query, String body) {
        return client().body(body).post("/v1/chat/completions" + query);
    }

    @Test
    void theQueryGoesUpstreamAndKeysTheEntry() {
        String body = chatBody(uniquePrompt());
        Response first = chatAt("?api-version=2024-10-21", body);
        assertEquals(200, first.statusCode(), first.asString());
        assertEquals("MISS", status(first));
        assertEquals("/v1/chat/completions?api-version=2024-10-21", Provider.requests().get(0).path());
        awaitInL1(first.header("X-Cache-Key"));

        Response again = chatAt("?api-version=2024-10-21", body);
        assertEquals("HIT-L1", status(again));
        assertEquals(first.header("X-Cache-Key"), again.header("X-Cache-Key"));

        Response otherVersion = chatAt("?api-version=2025-01-01-preview", body);
        assertEquals("MISS", status(otherVersion));
        assertNotEquals(first.header("X-Cache-Key"), otherVersion.header("X-Cache-Key"));

        Response none = chat(body);
        assertEquals("MISS", status(none));
        assertNotEquals(first.header("X-Cache-Key"), none.header("X-Cache-Key"));
        assertEquals("/v1/chat/completions", Provider.requests().get(2).path());
        assertEquals(3, Provider.calls());
    }
}
