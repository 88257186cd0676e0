package io.strata.semantic;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A request cut in two: everything but the final user message's text ({@code context}, compared
 * exactly, through its hash) and that text (compared by meaning).
 */
public record FinalTurn(JsonNode context, String text) {
}
