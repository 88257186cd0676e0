package io.strata.proxy;

import java.io.IOException;
import java.util.List;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.mutiny.Uni;
import io.strata.upstream.GuardedUpstream;
import io.strata.upstream.SharedBudget;
import io.strata.upstream.UpstreamBadResponse;
import io.strata.upstream.UpstreamResponse;
import io.strata.upstream.sse.StreamOptions;

/** Sends a request's body to the provider through the guard, and reads what comes back as an answer. */
@Singleton
public class ProviderCalls {

    private final GuardedUpstream upstream;
    private final UpstreamRequestFactory requests;
    private final SharedBudget budget;
    private final ObjectMapper json;

    public ProviderCalls(GuardedUpstream upstream, UpstreamRequestFactory requests, SharedBudget budget, ObjectMapper json) {
        this.upstream = upstream;
        this.requests = requests;
        this.budget = budget;
        this.json = json;
    }

    /** The client's body as sent, read as a stream or whole as the client asked; lazy, one subscription is one call. */
    Uni<UpstreamResponse> send(ProxyRequest request, boolean streaming) {
        return send(request, request.rawBody(), streaming);
    }

    /** A streamed cache fill: the body asks for the usage chunk, so the stored entry has its usage. */
    Uni<UpstreamResponse> sendForStore(ProxyRequest request) {
        boolean streaming = request.clientStreams();
        byte[] body = streaming && request.endpoint().streamFormat().requestsUsage()
                ? StreamOptions.withIncludeUsage(request.rawBody(), request.body(), json)
                : request.rawBody();
        return send(request, body, streaming);
    }

    /** The whole answer, whatever the client asked (refresh-ahead): a streamed client's body without its stream fields. */
    Uni<UpstreamResponse> sendWhole(ProxyRequest request) {
        if (!request.clientStreams()) {
            return send(request, request.rawBody(), false);
        }
        ObjectNode plain = ((ObjectNode) request.body()).deepCopy();
        plain.remove(List.of("stream", "stream_options"));
        try {
            return send(request, json.writeValueAsBytes(plain), false);
        } catch (IOException e) {
            return Uni.createFrom().failure(e);
        }
    }

    private Uni<UpstreamResponse> send(ProxyRequest request, byte[] body, boolean streaming) {
        long estimate = TokenEstimate.of(request.endpoint(), request.body(), body, budget.defaultCompletionTokens());
        return upstream.send(requests.create(request.method(), request.path(), request.headers(), body, estimate, streaming));
    }

    /** A 200 answer as JSON; garbage is a bad response (502), never stored. */
    JsonNode parseAnswer(byte[] bytes) {
        try {
            JsonNode answer = json.readTree(bytes);
            if (answer == null || !answer.isObject()) {
                throw new UpstreamBadResponse("Provider answered 200 without a JSON object");
            }
            return answer;
        } catch (IOException e) {
            throw new UpstreamBadResponse("Provider answered 200 with a body that is not JSON");
        }
    }

    byte[] toBytes(JsonNode answer) {
        try {
            return json.writeValueAsBytes(answer);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    ObjectMapper json() {
        return json;
    }
}
