package io.strata.history;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;

import io.strata.config.HistoryConfig;

/**
 * Turns the facts of an exchange into its history record, applying the privacy mode (redaction,
 * metadata only) and encryption before anything leaves memory, and hands it to the writer. In the
 * default mode the record holds the bodies as they were received and answered: nothing is parsed
 * or re-encoded on the request path.
 */
@Singleton
public class HistoryRecorder {

    private static final Logger LOG = Logger.getLogger(HistoryRecorder.class);

    private final HistoryConfig.Mode mode;
    private final HistoryWriter writer;
    private final ObjectMapper json;
    private final Redactor redactor;
    private final Sealer sealer;
    private final RecordContent content;

    public HistoryRecorder(HistoryConfig config, HistoryWriter writer, ObjectMapper json, HistorySealer sealer, RecordContent content) {
        this.mode = config.mode();
        this.writer = writer;
        this.json = json;
        this.redactor = new Redactor(config.redaction());
        this.sealer = sealer.get();
        this.content = content;
    }

    public boolean enabled() {
        return mode != HistoryConfig.Mode.OFF;
    }

    public void record(ExchangeFacts facts) {
        if (!enabled()) {
            return;
        }
        try {
            writer.submit(toRecord(facts));
        } catch (RuntimeException e) {
            // a record must never fail the request it describes; the failure is still visible
            LOG.errorf(e, "History record %s could not be built", facts.requestId());
        }
    }

    HistoryRecord toRecord(ExchangeFacts facts) {
        RecordBodies bodies = switch (mode) {
            case FULL -> new RecordBodies(facts.requestBody(), null, facts.sentMessages(), facts.response());
            case REDACTED -> new RecordBodies(redacted(facts.requestBody(), facts.request()), null,
                    redacted(facts.sentMessages(), null), redacted(facts.response(), null));
            default -> new RecordBodies(null, bytes(content.parametersOf(facts.request())), null, null);
        };
        byte[] sealed = null;
        String keyId = null;
        if (sealer != null && !bodies.isEmpty()) {
            sealed = sealer.seal(bodies.pack());
            keyId = sealer.activeKeyId();
            bodies = new RecordBodies(null, null, null, null);
        }
        String cacheStatus = facts.cacheStatus();
        JsonNode model = facts.request() == null ? null : facts.request().get("model");
        // Text columns hold only what Postgres can store: a record is storable by construction (ids were checked at the edge).
        return new HistoryRecord(facts.requestId(), facts.startedAtMillis(), facts.scope(), StorableText.of(facts.sessionId()),
                StorableText.of(facts.userId()), facts.endpoint(),
                model != null && model.isTextual() ? StorableText.of(model.textValue()) : null, StorableText.of(facts.modelVersion()),
                bodies.request(), bodies.parameters(), bodies.sentMessages(), bodies.response(), sealed, keyId,
                isHit(cacheStatus), levelOf(cacheStatus), cacheStatus, (int) Math.min(Integer.MAX_VALUE, facts.latencyMs()),
                facts.promptTokens(), facts.completionTokens(), facts.upstreamStatus(), facts.status(), facts.similarity(),
                facts.servedKey());
    }

    /** Personal data replaced in every text value; a body that is not JSON is redacted as text. */
    private byte[] redacted(byte[] body, JsonNode parsed) {
        if (body == null) {
            return null;
        }
        JsonNode document = parsed != null ? parsed : content.parse(body);
        return bytes(document instanceof TextNode text ? TextNode.valueOf(redactor.redact(text.textValue())) : redactor.redact(document));
    }

    private static boolean isHit(String cacheStatus) {
        return cacheStatus.startsWith("HIT") || cacheStatus.equals("STALE");
    }

    /** L1, L2, NEAR, SEMANTIC or none, as the record's metadata names the layer that answered. */
    private static String levelOf(String cacheStatus) {
        return switch (cacheStatus) {
            case "HIT-L1" -> "L1";
            case "HIT-L2", "STALE" -> "L2";
            case "HIT-NEAR" -> "NEAR";
            case "HIT-SEMANTIC" -> "SEMANTIC";
            default -> "none";
        };
    }

    private byte[] bytes(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        try {
            return json.writeValueAsBytes(node);
        } catch (IOException e) {
            return node.toString().getBytes(StandardCharsets.UTF_8);
        }
    }
}
