package io.strata.api;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestHeader;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.strata.cache.CacheMetrics;
import io.strata.cache.CacheStatus;
import io.strata.config.ApiConfig;
import io.strata.config.CacheConfig;
import io.strata.config.HistoryConfig;
import io.strata.observability.RequestTimeline;
import io.strata.observability.RequestTimelineSampler;
import io.strata.observability.TokenAccounting;

/**
 * The history explorer's overview, read-only, from Strata's own counters since start: hit ratio
 * per layer, tokens and money saved, requests by cache status per minute. The counters are the
 * whole deployment's, so only the history and admin tokens see them; a client key is told it is
 * one (the explorer learns what a credential is from this answer) and sees no figures.
 */
@Path("/v1/history/overview")
@Tag(name = "History")
@Produces(MediaType.APPLICATION_JSON)
public class OverviewResource {

    private static final String CLIENT = "client";

    private final CacheMetrics metrics;
    private final TokenAccounting tokens;
    private final RequestTimelineSampler timeline;
    private final ClientAuthenticator authenticator;
    private final ObjectMapper json;
    private final CacheConfig cache;
    private final String historyToken;
    private final String adminToken;

    public OverviewResource(CacheMetrics metrics, TokenAccounting tokens, RequestTimelineSampler timeline,
            ClientAuthenticator authenticator, ObjectMapper json, CacheConfig cache, HistoryConfig history, ApiConfig api) {
        this.metrics = metrics;
        this.tokens = tokens;
        this.timeline = timeline;
        this.authenticator = authenticator;
        this.json = json;
        this.cache = cache;
        this.historyToken = history.token().filter(t -> !t.isBlank()).orElse(null);
        this.adminToken = api.adminToken().filter(t -> !t.isBlank()).orElse(null);
    }

    @GET
    @Operation(summary = "Strata's own counters for the history explorer's overview")
    @APIResponse(responseCode = "200", description = "OK", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "HistoryOverview")))
    @APIResponse(responseCode = "401", description = "Not a client key, nor the history or admin token", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "Error")))
    public ObjectNode overview(@RestHeader("Authorization") String authorization) {
        String credential = credential(authorization);
        ObjectNode body = json.createObjectNode().put("object", "history.overview").put("credential", credential);
        if (CLIENT.equals(credential)) {
            return body;
        }
        long[] byStatus = new long[CacheStatus.values().length];
        ObjectNode requests = body.putObject("requests_since_start");
        long total = 0;
        for (CacheStatus status : CacheStatus.values()) {
            byStatus[status.ordinal()] = metrics.requestsSinceStart(status);
            requests.put(status.header(), byStatus[status.ordinal()]);
            total += byStatus[status.ordinal()];
        }
        body.put("requests_total", total);
        body.set("layers", layers(byStatus, total));
        TokenAccounting.Totals totals = tokens.totals();
        body.putObject("tokens")
                .put("cache_prompt", totals.cachePromptTokens()).put("cache_completion", totals.cacheCompletionTokens())
                .put("provider_prompt", totals.providerPromptTokens()).put("provider_completion", totals.providerCompletionTokens());
        body.putObject("cost_usd").put("saved", totals.savedUsd()).put("billed", totals.billedUsd());
        ObjectNode series = body.putObject("timeline").put("bucket_seconds", timeline.bucketWidth().toSeconds());
        ArrayNode buckets = series.putArray("buckets");
        for (RequestTimeline.Bucket bucket : timeline.buckets()) {
            ObjectNode point = buckets.addObject().put("start", bucket.start().toString());
            ObjectNode counts = point.putObject("requests");
            for (CacheStatus status : CacheStatus.values()) {
                counts.put(status.header(), bucket.counts()[status.ordinal()]);
            }
        }
        return body;
    }

    /**
     * Each layer's hit ratio among the lookups that reached it: every request but BYPASS reaches
     * the first enabled layer, and a layer's misses go on to the next. Near comes first when on.
     */
    private ArrayNode layers(long[] byStatus, long total) {
        long reaching = total - byStatus[CacheStatus.BYPASS.ordinal()];
        ArrayNode layers = json.createArrayNode();
        reaching = layer(layers, "NEAR", cache.near().enabled(), byStatus[CacheStatus.HIT_NEAR.ordinal()], reaching);
        reaching = layer(layers, "L1", cache.l1().enabled(), byStatus[CacheStatus.HIT_L1.ordinal()], reaching);
        layer(layers, "L2", cache.l2().enabled(), byStatus[CacheStatus.HIT_L2.ordinal()], reaching);
        return layers;
    }

    private static long layer(ArrayNode layers, String name, boolean enabled, long hits, long reaching) {
        layers.addObject().put("layer", name).put("enabled", enabled).put("lookups", reaching).put("hits", hits)
                .put("hit_ratio", reaching <= 0 ? 0.0 : (double) hits / reaching);
        return enabled ? reaching - hits : reaching;
    }

    /** "history", "admin" or "client" (a client key, or any caller when no keys are configured); a wrong key is 401. */
    private String credential(String authorization) {
        String token = ClientAuthenticator.bearer(authorization);
        if (historyToken != null && BearerTokens.matches(token, historyToken)) {
            return "history";
        }
        if (adminToken != null && BearerTokens.matches(token, adminToken)) {
            return "admin";
        }
        authenticator.authenticate(authorization);
        return CLIENT;
    }
}
