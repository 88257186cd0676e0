package io.strata.api;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.regex.Pattern;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestHeader;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.mutiny.Uni;
import io.strata.cache.CacheMetrics;
import io.strata.cache.CacheStatus;
import io.strata.cache.InvalidationCriteria;
import io.strata.cache.LayerStats;
import io.strata.cache.LayeredCache;
import io.strata.config.ApiConfig;
import io.strata.core.StrataException;
import io.strata.semantic.SemanticCache;

/** The admin API: cache statistics, removal of one entry, invalidation by criteria. */
@Path("/admin/cache")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Admin", description = "Cache statistics and invalidation; needs strata.api.admin-token (404 without it)")
public class AdminResource {

    private static final Pattern HEX_KEY = Pattern.compile("[0-9a-f]{64}");

    private final LayeredCache cache;
    private final SemanticCache semantic;
    private final CacheMetrics metrics;
    private final ObjectMapper json;
    private final String adminToken;

    public AdminResource(LayeredCache cache, SemanticCache semantic, CacheMetrics metrics, ObjectMapper json, ApiConfig config) {
        this.cache = cache;
        this.semantic = semantic;
        this.metrics = metrics;
        this.json = json;
        this.adminToken = config.adminToken().filter(t -> !t.isBlank()).orElse(null);
    }

    @GET
    @Path("stats")
    @Operation(summary = "Entries and bytes per layer, requests by cache status and the hit ratio since start")
    @APIResponse(responseCode = "200", description = "OK", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "CacheStats")))
    public Uni<ObjectNode> stats(@RestHeader("Authorization") String authorization) {
        authorize(authorization);
        return cache.stats().map(this::statsBody);
    }

    @DELETE
    @Path("entries/{key}")
    @Operation(summary = "Removes one entry (its X-Cache-Key) from every layer")
    @APIResponse(responseCode = "200", description = "OK", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "CacheEntryDeleted")))
    public Uni<ObjectNode> deleteEntry(@PathParam("key") String key, @RestHeader("Authorization") String authorization) {
        authorize(authorization);
        if (!HEX_KEY.matcher(key).matches()) {
            throw StrataException.invalidRequest("invalid_request", "key", "A cache key is 64 lower-case hex digits (X-Cache-Key).");
        }
        // the entry's vector goes with its L2 row; the candidate sets in memory are read again
        return cache.delete(key).invoke(semantic::forgetIndex).map(deleted -> json.createObjectNode()
                .put("id", key).put("object", "cache.entry.deleted").put("deleted", deleted));
    }

    @POST
    @Path("invalidate")
    @Operation(summary = "Removes every entry that matches all given criteria")
    @APIResponse(responseCode = "200", description = "OK", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "Invalidation")))
    @Consumes(MediaType.WILDCARD)
    public Uni<ObjectNode> invalidate(
            @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "InvalidationRequest"))) byte[] body,
            @RestHeader("Authorization") String authorization) {
        authorize(authorization);
        InvalidationCriteria criteria = criteria(body);
        return cache.invalidate(criteria).invoke(semantic::forgetIndex).map(count -> json.createObjectNode()
                .put("object", "cache.invalidation").put("invalidated", count));
    }

    private InvalidationCriteria criteria(byte[] body) {
        JsonNode request;
        try {
            request = body == null || body.length == 0 ? null : json.readTree(body);
        } catch (IOException e) {
            throw StrataException.invalidRequest("invalid_json", null, "We could not parse the JSON body of your request.");
        }
        if (request == null || !request.isObject()) {
            throw StrataException.invalidRequest("invalid_json", null,
                    "Send a JSON object with any of namespace, model, created_before.");
        }
        String namespace = text(request, "namespace");
        String model = text(request, "model");
        String before = text(request, "created_before");
        Instant createdBefore = null;
        if (before != null) {
            try {
                createdBefore = Instant.parse(before);
            } catch (DateTimeParseException e) {
                throw StrataException.invalidRequest("invalid_request", "created_before", "created_before must be an RFC 3339 instant.");
            }
        }
        InvalidationCriteria criteria = new InvalidationCriteria(namespace, model, createdBefore);
        if (criteria.isEmpty()) {
            throw StrataException.invalidRequest("invalid_request", null,
                    "Name at least one of namespace, model, created_before (to drop everything, use created_before: now).");
        }
        return criteria;
    }

    private static String text(JsonNode request, String field) {
        JsonNode value = request.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw StrataException.invalidRequest("invalid_request", field, field + " must be a string.");
        }
        return value.textValue();
    }

    private ObjectNode statsBody(List<LayerStats> layers) {
        ObjectNode body = json.createObjectNode().put("object", "cache.stats");
        ArrayNode list = body.putArray("layers");
        for (LayerStats layer : layers) {
            list.addObject().put("layer", layer.layer()).put("available", layer.available())
                    .put("entries", layer.entries()).put("bytes", layer.bytes()).put("approximate", layer.approximate());
        }
        long hits = metrics.requestsSinceStart(CacheStatus.HIT_NEAR) + metrics.requestsSinceStart(CacheStatus.HIT_L1)
                + metrics.requestsSinceStart(CacheStatus.HIT_L2);
        long served = hits + metrics.requestsSinceStart(CacheStatus.STALE) + metrics.requestsSinceStart(CacheStatus.COALESCED);
        long total = served + metrics.requestsSinceStart(CacheStatus.MISS) + metrics.requestsSinceStart(CacheStatus.BYPASS);
        ObjectNode requests = body.putObject("requests_since_start");
        for (CacheStatus status : CacheStatus.values()) {
            requests.put(status.header(), metrics.requestsSinceStart(status));
        }
        body.put("hit_ratio", total == 0 ? 0.0 : (double) hits / total);
        body.put("served_without_provider_ratio", total == 0 ? 0.0 : (double) served / total);
        return body;
    }

    private void authorize(String authorization) {
        if (adminToken == null) {
            throw StrataException.notFound("The admin API is off: set strata.api.admin-token to enable it.");
        }
        if (!BearerTokens.matches(ClientAuthenticator.bearer(authorization), adminToken)) {
            throw new StrataException(401, "invalid_request_error", "invalid_api_key", null, "Admin token required.", java.util.Map.of());
        }
    }

}
