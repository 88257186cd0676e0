package io.strata.config;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

/**
 * Settings that would make every request fail are found at start, not at the first request: the
 * start fails with a message naming each property at fault. Servers that do not resolve are
 * logged (not fatal: a cache layer may come later, and Strata works without it).
 */
@Singleton
public class ConfigValidation {

    private static final Logger LOG = Logger.getLogger(ConfigValidation.class);

    private final UpstreamConfig upstream;
    private final ApiConfig api;
    private final HistoryConfig history;

    public ConfigValidation(UpstreamConfig upstream, ApiConfig api, HistoryConfig history) {
        this.upstream = upstream;
        this.api = api;
        this.history = history;
    }

    void onStart(@Observes @Priority(1) StartupEvent event) {
        List<String> problems = new ArrayList<>();
        baseUrlProblem(upstream.baseUrl()).ifPresent(problems::add);
        replaceKeyProblem(upstream.authMode(), upstream.apiKey()).ifPresent(problems::add);
        if (upstream.authMode() == UpstreamConfig.AuthMode.REPLACE) {
            problems.addAll(allowedPathProblems(upstream.replaceMode().allowedPaths()));
        }
        bodiesProblem(api.maxBodySize().asLongValue(), api.maxBodiesInFlight().asLongValue()).ifPresent(problems::add);
        if (history.maxIdLength() < 1) {
            problems.add("strata.history.max-id-length must be at least 1 (is " + history.maxIdLength() + ")");
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("Invalid configuration: " + String.join("; ", problems));
        }
        ConfigProvider.getConfig().getOptionalValue("quarkus.redis.hosts", String.class)
                .ifPresent(hosts -> warnIfUnresolvable("quarkus.redis.hosts", hosts));
        ConfigProvider.getConfig().getOptionalValue("quarkus.datasource.reactive.url", String.class)
                .ifPresent(url -> warnIfUnresolvable("quarkus.datasource.reactive.url", url.startsWith("vertx-reactive:")
                        ? url.substring("vertx-reactive:".length())
                        : url));
    }

    static Optional<String> baseUrlProblem(String baseUrl) {
        if (UpstreamConfig.MOCK.equalsIgnoreCase(baseUrl)) {
            return Optional.empty();
        }
        try {
            URI uri = new URI(baseUrl);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
                return Optional.of("strata.upstream.base-url must be an http:// or https:// URL with a host, such as "
                        + "https://api.openai.com/v1, or 'mock' (is '" + baseUrl + "')");
            }
            if (uri.getQuery() != null || uri.getFragment() != null) {
                return Optional.of("strata.upstream.base-url must not have a query or a fragment (is '" + baseUrl + "')");
            }
            return Optional.empty();
        } catch (java.net.URISyntaxException malformed) {
            return Optional.of("strata.upstream.base-url is not a URL: " + malformed.getMessage());
        }
    }

    static Optional<String> replaceKeyProblem(UpstreamConfig.AuthMode mode, Optional<String> apiKey) {
        if (mode == UpstreamConfig.AuthMode.REPLACE && apiKey.map(String::isBlank).orElse(true)) {
            return Optional.of("strata.upstream.auth-mode=replace needs strata.upstream.api-key (the provider key Strata sends)");
        }
        return Optional.empty();
    }

    static Optional<String> bodiesProblem(long maxBodySize, long maxBodiesInFlight) {
        if (maxBodySize < 1) {
            return Optional.of("strata.api.max-body-size must be positive");
        }
        if (maxBodiesInFlight < maxBodySize) {
            return Optional
                    .of("strata.api.max-bodies-in-flight (" + maxBodiesInFlight + " bytes) must be at least strata.api.max-body-size ("
                            + maxBodySize + " bytes)");
        }
        return Optional.empty();
    }

    static List<String> allowedPathProblems(List<String> entries) {
        List<String> problems = new ArrayList<>();
        for (String raw : entries) {
            String entry = raw.strip();
            int space = entry.indexOf(' ');
            String path = space < 0 ? entry : entry.substring(space + 1).strip();
            if (!entry.isEmpty() && !path.startsWith("/")) {
                problems.add("strata.upstream.replace-mode.allowed-paths: '" + entry + "' is not 'METHOD /path' or '/path' (below /v1)");
            }
        }
        return problems;
    }

    private static void warnIfUnresolvable(String property, String urls) {
        for (String url : urls.split(",")) {
            try {
                String host = URI.create(url.strip()).getHost();
                if (host != null) {
                    InetAddress.getByName(host);
                }
            } catch (UnknownHostException unknown) {
                LOG.warnf("%s: host '%s' does not resolve; that layer counts as failing (a miss) until it does", property,
                        unknown.getMessage());
            } catch (IllegalArgumentException malformed) {
                LOG.warnf("%s: '%s' is not a URL (%s)", property, url, malformed.getMessage());
            }
        }
    }
}
