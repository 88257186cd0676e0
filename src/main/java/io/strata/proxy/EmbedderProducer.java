package io.strata.proxy;

import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.smallrye.mutiny.Uni;
import io.strata.config.CacheConfig;
import io.strata.semantic.Embedder;
import io.strata.semantic.EmbeddingCaller;
import io.strata.semantic.LocalEmbedder;
import io.vertx.core.Vertx;

/** The semantic layer's embedder as configured; none at all (no model loaded) while the layer is off. */
@Singleton
public class EmbedderProducer {

    @Produces
    @Singleton
    Embedder embedder(CacheConfig config, Vertx vertx, ProviderEmbedder provider) {
        CacheConfig.Semantic semantic = config.semantic();
        if (!semantic.enabled()) {
            return new Embedder() {
                @Override
                public String id() {
                    return "none";
                }

                @Override
                public Uni<float[]> embed(String text, EmbeddingCaller caller) {
                    return Uni.createFrom().failure(new IllegalStateException("the semantic layer is off"));
                }
            };
        }
        return semantic.embedder() == CacheConfig.EmbedderKind.PROVIDER
                ? provider
                : new LocalEmbedder(vertx, semantic.workers(), semantic.queue());
    }

    void close(@Disposes Embedder embedder) {
        if (embedder instanceof LocalEmbedder local) {
            local.close();
        }
    }
}
