package io.strata.proxy;

import jakarta.inject.Singleton;

import io.smallrye.mutiny.Uni;
import io.strata.cache.CacheKey;
import io.strata.cache.CacheStatus;

/** Calls that neither read nor write the cache: pass-through paths, and {@code Cache-Control: no-store}. */
@Singleton
public class UncachedCalls {

    private final ProviderCalls provider;
    private final AnswerRenderer render;

    public UncachedCalls(ProviderCalls provider, AnswerRenderer render) {
        this.provider = provider;
        this.render = render;
    }

    /** The provider's answer, live, whatever it is. */
    Uni<ProxyResult> passThrough(ProxyRequest request) {
        return provider.send(request, true)
                .map(response -> render.relay(request, response, CacheStatus.BYPASS, null))
                .onFailure().recoverWithItem(failure -> render.failure(request, failure, null, CacheStatus.BYPASS));
    }

    /** no-store: the provider's answer, neither looked up nor stored; garbage is still a 502. */
    Uni<ProxyResult> direct(ProxyRequest request, CacheKey key) {
        return provider.send(request, request.clientStreams())
                .map(response -> {
                    if (response.isOk() && !response.isStreaming()) {
                        provider.parseAnswer(response.body().getBytes());
                    }
                    return render.relay(request, response, CacheStatus.BYPASS, key);
                })
                .onFailure().recoverWithItem(failure -> render.failure(request, failure, key, CacheStatus.BYPASS));
    }
}
