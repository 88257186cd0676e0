package io.strata.api;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.UUID;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
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

import io.smallrye.mutiny.Uni;
import io.strata.config.HistoryConfig;
import io.strata.core.StrataException;
import io.strata.history.Cursor;
import io.strata.history.HistoryService;
import io.strata.history.SessionCursor;
import io.strata.semantic.SemanticCache;

/**
 * The history API. A caller with a client key sees only its own scope's records; the
 * history token sees the whole deployment's; nobody reads another tenant's session by guessing its
 * id (it is simply not found in the caller's scope).
 */
@Path("/v1/history")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "History", description = "Recorded requests of the caller's scope (all scopes with strata.history.token)")
public class HistoryResource {

    private static final int DEFAULT_LIMIT = 20;
    private static final int MAX_LIMIT = 100;

    private final HistoryService history;
    private final SemanticCache semantic;
    private final ClientAuthenticator authenticator;
    private final ObjectMapper json;
    private final String historyToken;
    private final boolean off;

    public HistoryResource(HistoryService history, SemanticCache semantic, ClientAuthenticator authenticator, ObjectMapper json,
            HistoryConfig config) {
        this.history = history;
        this.semantic = semantic;
        this.authenticator = authenticator;
        this.json = json;
        this.historyToken = config.token().filter(t -> !t.isBlank()).orElse(null);
        this.off = config.mode() == HistoryConfig.Mode.OFF;
    }

    /** Sessions active in the window, most recent first; {@code session_id} is a prefix, {@code user_id} exact. */
    @GET
    @Path("sessions")
    @Operation(summary = "Sessions active in a time window, most recently active first")
    @APIResponse(responseCode = "200", description = "OK", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "HistorySessionList")))
    @APIResponse(responseCode = "404", description = "History off", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "Error")))
    public Uni<ObjectNode> sessions(@QueryParam("from") String from, @QueryParam("to") String to,
            @QueryParam("session_id") String sessionPrefix, @QueryParam("user_id") String userId, @QueryParam("limit") Integer limit,
            @QueryParam("cursor") String cursor, @RestHeader("Authorization") String authorization) {
        String scope = scopeOf(authorization);
        Instant start = instant(from, "from", Instant.EPOCH);
        Instant end = instant(to, "to", Instant.parse("9999-01-01T00:00:00Z"));
        return history.sessions(scope, start, end, blankAsNull(sessionPrefix), blankAsNull(userId), sessionCursor(cursor), limit(limit))
                .map(this::list);
    }

    @GET
    @Path("sessions/{sessionId}")
    @Operation(summary = "A session's records, oldest first")
    @APIResponse(responseCode = "200", description = "OK", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "HistoryRecordList")))
    @APIResponse(responseCode = "404", description = "Unknown session, or history off", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "Error")))
    public Uni<ObjectNode> session(@PathParam("sessionId") String sessionId, @QueryParam("limit") Integer limit,
            @QueryParam("cursor") String cursor, @RestHeader("Authorization") String authorization) {
        String scope = scopeOf(authorization);
        Cursor after = cursor(cursor);
        return available(history.session(sessionId, scope, after, limit(limit))).map(page -> {
            if (page.data().isEmpty() && after == null) {
                throw StrataException.notFound("No history for session '" + sessionId + "'.");
            }
            return list(page);
        });
    }

    @GET
    @Path("users/{userId}")
    @Operation(summary = "A user's records, newest first")
    @APIResponse(responseCode = "200", description = "OK", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "HistoryRecordList")))
    @APIResponse(responseCode = "404", description = "History off", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "Error")))
    public Uni<ObjectNode> user(@PathParam("userId") String userId, @QueryParam("from") String from, @QueryParam("to") String to,
            @QueryParam("limit") Integer limit, @QueryParam("cursor") String cursor, @RestHeader("Authorization") String authorization) {
        String scope = scopeOf(authorization);
        Instant start = instant(from, "from", Instant.EPOCH);
        Instant end = instant(to, "to", Instant.parse("9999-01-01T00:00:00Z"));
        return available(history.user(userId, scope, start, end, cursor(cursor), limit(limit))).map(this::list);
    }

    @GET
    @Path("records/{id}")
    @Operation(summary = "One record, by its X-Request-Id")
    @APIResponse(responseCode = "200", description = "OK", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "HistoryRecord")))
    @APIResponse(responseCode = "404", description = "Unknown record, or history off", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "Error")))
    public Uni<ObjectNode> record(@PathParam("id") String id, @RestHeader("Authorization") String authorization) {
        String scope = scopeOf(authorization);
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw StrataException.notFound("No history record '" + id + "'.");
        }
        return available(history.record(uuid, scope)).map(found -> {
            if (found == null) {
                throw StrataException.notFound("No history record '" + id + "'.");
            }
            return found;
        });
    }

    @DELETE
    @Path("sessions/{sessionId}")
    @Operation(summary = "Erases a session's records")
    @APIResponse(responseCode = "200", description = "OK", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "HistoryErased")))
    @APIResponse(responseCode = "404", description = "Unknown session, or history off", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "Error")))
    public Uni<ObjectNode> eraseSession(@PathParam("sessionId") String sessionId, @RestHeader("Authorization") String authorization) {
        String scope = scopeOf(authorization);
        // the semantic layer keeps the session's questions as text too: they go first, and with the records
        return available(semantic.eraseSession(sessionId, scope).chain(questions -> history.eraseSession(sessionId, scope).map(count -> {
            if (count == 0 && questions == 0) {
                throw StrataException.notFound("No history for session '" + sessionId + "'.");
            }
            return json.createObjectNode().put("id", sessionId).put("object", "history.session.deleted")
                    .put("deleted", true).put("records", count).put("semantic_entries", questions);
        })));
    }

    @DELETE
    @Path("users/{userId}")
    @Operation(summary = "Erases every record of a user, queued ones included")
    @APIResponse(responseCode = "200", description = "OK", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "HistoryErased")))
    @APIResponse(responseCode = "404", description = "History off", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "Error")))
    public Uni<ObjectNode> eraseUser(@PathParam("userId") String userId, @RestHeader("Authorization") String authorization) {
        String scope = scopeOf(authorization);
        return available(semantic.eraseUser(userId, scope)
                .chain(questions -> history.eraseUser(userId, scope).map(count -> json.createObjectNode()
                        .put("id", userId).put("object", "history.user.deleted").put("deleted", true).put("records", count)
                        .put("semantic_entries", questions))));
    }

    /** Null for the history token (the whole deployment), else the client's scope. */
    private String scopeOf(String authorization) {
        if (off) {
            throw StrataException.notFound("Conversation history is off (strata.history.mode=off).");
        }
        String token = ClientAuthenticator.bearer(authorization);
        if (historyToken != null && BearerTokens.matches(token, historyToken)) {
            return null;
        }
        return authenticator.authenticate(authorization).scope();
    }

    private ObjectNode list(HistoryService.Page page) {
        ObjectNode body = json.createObjectNode().put("object", "list");
        ArrayNode data = body.putArray("data");
        page.data().forEach(data::add);
        body.put("has_more", page.nextCursor() != null);
        body.put("next_cursor", page.nextCursor());
        return body;
    }

    private static int limit(Integer limit) {
        if (limit == null) {
            return DEFAULT_LIMIT;
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw StrataException.invalidRequest("invalid_request", "limit", "limit must be between 1 and " + MAX_LIMIT + ".");
        }
        return limit;
    }

    private static Cursor cursor(String cursor) {
        if (cursor == null || cursor.isBlank()) {
            return null;
        }
        try {
            return Cursor.decode(cursor);
        } catch (RuntimeException e) {
            throw StrataException.invalidRequest("invalid_request", "cursor", "cursor is not one this API returned.");
        }
    }

    private static SessionCursor sessionCursor(String cursor) {
        if (cursor == null || cursor.isBlank()) {
            return null;
        }
        try {
            return SessionCursor.decode(cursor);
        } catch (RuntimeException e) {
            throw StrataException.invalidRequest("invalid_request", "cursor", "cursor is not one this API returned.");
        }
    }

    private static String blankAsNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    private static Instant instant(String value, String param, Instant fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return java.time.OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw StrataException.invalidRequest("invalid_request", param, param + " must be an RFC 3339 instant.");
        }
    }

    /** Postgres (or the read replica) not answering is a clear 503, not a stack trace. */
    private static <T> Uni<T> available(Uni<T> read) {
        return read.onFailure(failure -> !(failure instanceof StrataException))
                .transform(failure -> new StrataException(503, "server_error",
                        "history_unavailable", null, "The history store is unavailable; retry later.",
                        java.util.Map.of("Retry-After", "1")));
    }
}
