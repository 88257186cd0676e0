package io.strata.proxy;

import java.io.IOException;
import java.time.InstantSource;

import jakarta.enterprise.inject.Typed;
import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.mutiny.Uni;
import io.strata.cache.CacheEntry;
import io.strata.cache.CacheKey;
import io.strata.cache.CacheKeyFactory;
import io.strata.cache.LayeredCache;
import io.strata.config.CacheConfig;
import io.strata.semantic.Embedder;
import io.strata.semantic.EmbeddingCaller;
import io.strata.semantic.Vectors;
import io.strata.upstream.GuardedUpstream;
import io.strata.upstream.UpstreamBadResponse;
import io.vertx.core.http.HttpMethod;

/**
 * Embeddings from the provider's /v1/embeddings ({@code strata.cache.semantic.embedder=provider}):
 * the request's own key is forwarded (or replaced, as for any call), the call goes through the
 * provider guard, and the answer is cached like any embedding, under the caller's scope, so a
 * text is embedded once per TTL. The way to a semantic cache in a native image.
 */
@Singleton
@Typed(ProviderEmbedder.class) // an Embedder only through EmbedderProducer, when configured
public class ProviderEmbedder implements Embedder {

    private final GuardedUpstream upstream;
    private final UpstreamRequestFactory requests;
    private final LayeredCache cache;
    private final CacheKeyFactory keys;
    private final CachePolicy policy;
    private final ObjectMapper json;
    private final InstantSource clock;
    private final String model;
    private final java.time.Duration ttl;

    public ProviderEmbedder(GuardedUpstream upstream, UpstreamRequestFactory requests, LayeredCache cache, CacheKeyFactory keys,
            CachePolicy policy, ObjectMapper json, InstantSource clock, CacheConfig config) {
        this.upstream = upstream;
        this.requests = requests;
        this.cache = cache;
        this.keys = keys;
        this.policy = policy;
        this.json = json;
        this.clock = clock;
        this.model = config.semantic().embeddingModel();
        this.ttl = config.ttl().embeddings();
    }

    @Override
    public String id() {
        return "provider:" + model;
    }

    @Override
    public Uni<float[]> embed(String text, EmbeddingCaller caller) {
        ObjectNode body = json.createObjectNode().put("model", model).put("input", text);
        CacheKey key = keys.key(caller.scope(), "", Endpoint.EMBEDDINGS.id(), body);
        long now = clock.millis();
        return cache.lookup(key, now).chain(found -> {
            if (found.isHit()) {
                return Uni.createFrom().item(vectorOf(read(found.entry().body())));
            }
            byte[] bytes = bytes(body);
            return upstream.send(requests.create(HttpMethod.POST, Endpoint.EMBEDDINGS.path(), caller.headers(), bytes,
                    bytes.length / 4 + 1, false)).map(response -> {
                        if (!response.isOk() || response.isStreaming()) {
                            throw new UpstreamBadResponse("The provider answered " + response.status() + " to an embedding request");
                        }
                        byte[] answerBytes = response.body().getBytes();
                        JsonNode answer = read(answerBytes);
                        float[] vector = vectorOf(answer);
                        long stored = clock.millis();
                        CacheEntry entry = policy.entry(key, answerBytes, answer, ttl, null, stored);
                        cache.writeBack(entry, stored, () -> {
                        });
                        return vector;
                    });
        });
    }

    private static float[] vectorOf(JsonNode answer) {
        JsonNode values = answer.path("data").path(0).path("embedding");
        if (!values.isArray() || values.isEmpty()) {
            throw new UpstreamBadResponse("The provider's embedding answer holds no vector");
        }
        float[] vector = new float[values.size()];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = (float) values.get(i).asDouble();
        }
        float[] unit = Vectors.unit(vector);
        if (unit == null) {
            throw new UpstreamBadResponse("The provider's embedding is a zero vector");
        }
        return unit;
    }

    private JsonNode read(byte[] bytes) {
        try {
            return json.readTree(bytes);
        } catch (IOException e) {
            throw new UpstreamBadResponse("The provider's embedding answer is not JSON");
        }
    }

    private byte[] bytes(JsonNode body) {
        try {
            return json.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
