package io.strata.history;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.strata.config.HistoryConfig;

/**
 * Turns the facts of an exchange into its history record, applying the privacy mode (redaction,
 * metadata only) and encryption before anything leaves memory, and hands it to the writer.
 */
@ApplicationScoped
public class HistoryRecorder {

    private static final Logger LOG = Logger.getLogger(HistoryRecorder.class);

    /** Fields of a request that are not sampling parameters. */
    private static final Set<String> NOT_PARAMETERS = Set.of("messages", "prompt", "input", "model", "stream", "stream_options",
            "user", "metadata", "store");

    private final HistoryConfig.Mode mode;
    private final HistoryWriter writer;
    private final ObjectMapper json;
    private final Redactor redactor;
    private final Sealer sealer;

    public HistoryRecorder(HistoryConfig config, HistoryWriter writer, ObjectMapper json, HistorySealer sealer) {
        this.mode = config.mode();
        this.writer = writer;
        this.json = json;
        this.redactor = new Redactor(config.redaction());
        this.sealer = sealer.get();
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
        JsonNode request = facts.request();
        JsonNode prompt = null;
        JsonNode sent = null;
        JsonNode response = null;
        byte[] responseAsIs = null;
        if (mode == HistoryConfig.Mode.FULL && sealer == null) {
            // Stored as received: the answer's bytes are JSON already (parsed when it was cached), so the
            // hot path of a hit does not parse and re-serialise it for its record.
            prompt = promptOf(request);
            sent = facts.sentMessages();
            boolean parsedWhenServed = facts.status() == 200 && !"BYPASS".equals(facts.cacheStatus());
            if (parsedWhenServed && isJsonObject(facts.response())) {
                responseAsIs = facts.response();
            } else {
                response = parse(facts.response()); // not known to be valid JSON: a bad body must not poison a batch
            }
        } else if (mode != HistoryConfig.Mode.METADATA_ONLY) {
            prompt = promptOf(request);
            sent = facts.sentMessages();
            response = parse(facts.response());
            if (mode == HistoryConfig.Mode.REDACTED) {
                prompt = redactor.redact(prompt);
                sent = redactor.redact(sent);
                response = redactor.redact(response);
            }
        }
        byte[] sealed = null;
        String keyId = null;
        if (sealer != null && (prompt != null || sent != null || response != null)) {
            ObjectNode content = json.createObjectNode();
            content.set("prompt", prompt);
            content.set("prompt_sent", sent);
            content.set("response", response);
            sealed = sealer.seal(bytes(content));
            keyId = sealer.activeKeyId();
            prompt = null;
            sent = null;
            response = null;
        }
        String cacheStatus = facts.cacheStatus();
        return new HistoryRecord(facts.requestId(), facts.startedAtMillis(), facts.scope(), facts.sessionId(), facts.userId(),
                facts.endpoint(), request == null ? null : textOrNull(request.get("model")), facts.modelVersion(),
                bytes(prompt), bytes(sent), responseAsIs != null ? responseAsIs : bytes(response), bytes(parametersOf(request)),
                sealed, keyId,
                isHit(cacheStatus), levelOf(cacheStatus), cacheStatus, (int) Math.min(Integer.MAX_VALUE, facts.latencyMs()),
                facts.promptTokens(), facts.completionTokens(), facts.upstreamStatus(), facts.status());
    }

    private static boolean isHit(String cacheStatus) {
        return cacheStatus.startsWith("HIT") || cacheStatus.equals("STALE");
    }

    /** L1, L2, NEAR or none, as the record's metadata names the layer that answered. */
    private static String levelOf(String cacheStatus) {
        return switch (cacheStatus) {
            case "HIT-L1" -> "L1";
            case "HIT-L2", "STALE" -> "L2";
            case "HIT-NEAR" -> "NEAR";
            default -> "none";
        };
    }

    /** The request's messages (chat), prompt (completions) or input (embeddings); the whole body otherwise. */
    private static JsonNode promptOf(JsonNode request) {
        if (request == null) {
            return null;
        }
        for (String field : new String[] { "messages", "prompt", "input" }) {
            if (request.has(field)) {
                return request.get(field);
            }
        }
        return request;
    }

    private JsonNode parametersOf(JsonNode request) {
        if (request == null || !request.isObject()) {
            return null;
        }
        ObjectNode parameters = json.createObjectNode();
        request.fields().forEachRemaining(field -> {
            if (!NOT_PARAMETERS.contains(field.getKey())) {
                parameters.set(field.getKey(), field.getValue());
            }
        });
        return parameters;
    }

    private static boolean isJsonObject(byte[] bytes) {
        if (bytes == null) {
            return false;
        }
        int first = 0;
        int last = bytes.length - 1;
        while (first <= last && Character.isWhitespace(bytes[first])) {
            first++;
        }
        while (last >= first && Character.isWhitespace(bytes[last])) {
            last--;
        }
        return last > first && bytes[first] == '{' && bytes[last] == '}';
    }

    private JsonNode parse(byte[] response) {
        if (response == null || response.length == 0) {
            return null;
        }
        byte first = response[0];
        if (first != '{' && first != '[') {
            return null; // not JSON (a relayed stream of another endpoint): not recorded
        }
        try {
            return json.readTree(response);
        } catch (IOException e) {
            return null;
        }
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

    private static String textOrNull(JsonNode node) {
        return node != null && node.isTextual() ? node.textValue() : null;
    }
}
