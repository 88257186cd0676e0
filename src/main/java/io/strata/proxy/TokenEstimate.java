package io.strata.proxy;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A cheap upper-bound guess of what a call will cost in tokens, for the shared budget's
 * reservation: about four bytes of request per prompt token, plus the completion limit the request
 * sets (or a default) for every choice asked for. The reported usage corrects it after the call.
 */
final class TokenEstimate {

    private TokenEstimate() {
    }

    static long of(Endpoint endpoint, JsonNode body, byte[] rawBody, int defaultCompletionTokens) {
        long prompt = rawBody == null ? 0 : Math.max(1, rawBody.length / 4);
        if (endpoint == Endpoint.EMBEDDINGS || endpoint == Endpoint.MODELS) {
            return prompt;
        }
        long completion = defaultCompletionTokens;
        long choices = 1;
        if (body != null) {
            JsonNode limit = body.has("max_completion_tokens")
                    ? body.get("max_completion_tokens")
                    : body.has("max_output_tokens") ? body.get("max_output_tokens") : body.get("max_tokens");
            if (limit != null && limit.canConvertToLong()) {
                completion = limit.asLong();
            }
            if (body.path("n").canConvertToLong()) {
                choices = Math.max(1, body.get("n").asLong());
            }
        }
        return prompt + completion * choices;
    }
}
