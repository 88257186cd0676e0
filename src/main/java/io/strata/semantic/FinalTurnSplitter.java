package io.strata.semantic;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * How one endpoint's request body is cut into its context and its final user text. Null when the
 * request cannot be compared by meaning (its last turn is not a user's plain text): it is then
 * served by the exact layers only.
 */
@FunctionalInterface
public interface FinalTurnSplitter {

    FinalTurn split(JsonNode body);
}
