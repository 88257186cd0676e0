package io.strata.upstream;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.strata.config.UpstreamConfig;
import io.vertx.mutiny.core.Vertx;

/** Chooses the provider: the built-in mock when the base URL is {@code mock}, else HTTP. */
public class UpstreamProducer {

    private static final Logger LOG = Logger.getLogger(UpstreamProducer.class);

    @Produces
    @Singleton
    Upstream upstream(UpstreamConfig config, Vertx vertx, ObjectMapper json) {
        if (UpstreamConfig.MOCK.equalsIgnoreCase(config.baseUrl())) {
            LOG.infof("Upstream: built-in mock provider (latency %s)", config.mock().latency());
            return new MockUpstream(json, config.mock().latency(), config.mock().chunkDelay());
        }
        if (config.authMode() == UpstreamConfig.AuthMode.REPLACE && config.apiKey().isEmpty()) {
            throw new IllegalStateException("strata.upstream.auth-mode=replace needs strata.upstream.api-key");
        }
        LOG.infof("Upstream: %s (auth mode %s)", config.baseUrl(), config.authMode());
        return new HttpUpstream(vertx, config);
    }
}
