package io.strata.history;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.mutiny.Uni;

/** Reading and erasing history, as the API shows it: records opened (when sealed) and rendered in snake_case. */
@Singleton
public class HistoryService {

    private final HistoryRepository repository;
    private final HistoryWriter writer;
    private final RecordContent content;
    private final ObjectMapper json;

    public HistoryService(HistoryRepository repository, HistoryWriter writer, RecordContent content, ObjectMapper json) {
        this.repository = repository;
        this.writer = writer;
        this.content = content;
        this.json = json;
    }

    /** A page of records: the rendered list, and the cursor after its last record when there are more. */
    public record Page(List<ObjectNode> data, String nextCursor) {
    }

    public Uni<ObjectNode> record(UUID id, String scope) {
        return repository.byId(id, scope).map(found -> found == null ? null : render(found));
    }

    public Uni<Page> session(String sessionId, String scope, Cursor after, int limit) {
        return repository.session(sessionId, scope, after, limit + 1).map(rows -> page(rows, limit));
    }

    public Uni<Page> user(String userId, String scope, Instant from, Instant to, Cursor before, int limit) {
        return repository.user(userId, scope, from, to, before, limit + 1).map(rows -> page(rows, limit));
    }

    /** A page of sessions, most recently active first (see {@link HistoryRepository#sessions}). */
    public Uni<Page> sessions(String scope, Instant from, Instant to, String sessionPrefix, String userId, SessionCursor before,
            int limit) {
        return repository.sessions(scope, from, to, sessionPrefix, userId, before, limit + 1).map(rows -> {
            boolean more = rows.size() > limit;
            List<SessionSummary> shown = more ? rows.subList(0, limit) : rows;
            return new Page(shown.stream().map(this::render).toList(), more ? shown.get(shown.size() - 1).cursor().encode() : null);
        });
    }

    private ObjectNode render(SessionSummary s) {
        return json.createObjectNode()
                .put("id", s.sessionId())
                .put("object", "history.session")
                .put("user_id", s.userId())
                .put("first_timestamp", s.firstActivity().toInstant().toString())
                .put("last_timestamp", s.lastActivity().toInstant().toString())
                .put("records", s.records())
                .put("cache_hits", s.cacheHits())
                .put("errors", s.errors())
                .put("last_model_requested", s.lastModel());
    }

    /** Erases a session, queued records included; a batch being written at that moment is erased once it lands. */
    public Uni<Integer> eraseSession(String sessionId, String scope) {
        return erase(r -> sessionId.equals(r.sessionId()) && (scope == null || scope.equals(r.scope())),
                () -> repository.deleteSession(sessionId, scope));
    }

    /** Erases everything of a user (right to erasure), queued records included. */
    public Uni<Integer> eraseUser(String userId, String scope) {
        return erase(r -> userId.equals(r.userId()) && (scope == null || scope.equals(r.scope())),
                () -> repository.deleteUser(userId, scope));
    }

    /** Queue first, then the table, then the table again once a batch taken before the erasure has landed. */
    private Uni<Integer> erase(java.util.function.Predicate<HistoryRecord> queued, java.util.function.Supplier<Uni<Integer>> delete) {
        int forgotten = writer.forget(queued);
        return delete.get()
                .chain(first -> writer.idle(Duration.ofSeconds(5)).chain(() -> delete.get()).map(second -> forgotten + first + second));
    }

    private Page page(List<StoredRecord> rows, int limit) {
        boolean more = rows.size() > limit;
        List<StoredRecord> shown = more ? rows.subList(0, limit) : rows;
        return new Page(shown.stream().map(this::render).toList(), more ? shown.get(shown.size() - 1).cursor().encode() : null);
    }

    ObjectNode render(StoredRecord r) {
        RecordContent.Shown shown = content.of(r);
        JsonNode prompt = shown.prompt();
        JsonNode sent = shown.promptSent();
        JsonNode response = shown.response();
        boolean unavailable = shown.unavailable();
        boolean responses = RecordContent.RESPONSES.equals(r.endpoint());
        ObjectNode record = json.createObjectNode()
                .put("id", r.id().toString())
                .put("object", "history.record")
                .put("session_id", r.sessionId())
                .put("user_id", r.userId())
                .put("timestamp", r.timestamp().toInstant().toString())
                .put("endpoint", r.endpoint());
        record.set("prompt", prompt);
        if (sent != null && !sent.isNull()) {
            record.set("prompt_sent", sent);
        }
        record.set("response", response);
        record.put("model_requested", r.modelRequested()).put("model_version", r.modelVersion());
        record.set("parameters", shown.parameters());
        ObjectNode metadata = record.putObject("metadata")
                .put("cache_hit", r.cacheHit())
                .put("cache_level", r.cacheLevel())
                .put("cache_status", r.cacheStatus())
                .put("latency_ms", r.latencyMs())
                // each endpoint's own usage names: the Responses API counts input and output tokens
                .put(responses ? "input_tokens" : "prompt_tokens", r.promptTokens())
                .put(responses ? "output_tokens" : "completion_tokens", r.completionTokens())
                .put("upstream_status", r.upstreamStatus())
                .put("status", r.status());
        if (r.similarity() != null) {
            metadata.put("similarity", Math.floor(r.similarity() * 10_000) / 10_000).put("served_key", r.servedKey());
        }
        if (r.keyId() != null) {
            metadata.put("key_id", r.keyId());
        }
        if (unavailable) {
            metadata.put("content_unavailable", true);
        }
        return record;
    }
}
