package io.strata.upstream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HexFormat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * The built-in {@code mock} provider: deterministic answers derived from the request (the same
 * request always gets the same text), plausible usage figures, a configurable latency, SSE when
 * {@code stream: true}. A model named {@code mock-error-<status>} answers that status, so
 * applications can test their error handling through Strata.
 */
final class MockUpstream implements Upstream {

    static final String MODEL = "strata-mock-1";
    private static final String ERROR_MODEL_PREFIX = "mock-error-";

    private final ObjectMapper json;
    private final Duration latency;
    private final Duration chunkDelay;

    MockUpstream(ObjectMapper json, Duration latency, Duration chunkDelay) {
        this.json = json;
        this.latency = latency;
        this.chunkDelay = chunkDelay;
    }

    @Override
    public Uni<UpstreamResponse> send(UpstreamRequest request) {
        Uni<UpstreamResponse> answer = Uni.createFrom().item(() -> answer(request));
        return latency.isZero() ? answer : answer.onItem().delayIt().by(latency);
    }

    private UpstreamResponse answer(UpstreamRequest request) {
        String path = request.path();
        int query = path.indexOf('?');
        if (query >= 0) {
            path = path.substring(0, query);
        }
        if ("/models".equals(path)) {
            return ok(models());
        }
        JsonNode body;
        try {
            body = request.body() == null ? json.createObjectNode() : json.readTree(request.body().getBytes());
        } catch (IOException e) {
            return error(400, "invalid_request_error", "We could not parse the JSON body of your request.");
        }
        String model = body.path("model").asText(MODEL);
        if (model.startsWith(ERROR_MODEL_PREFIX)) {
            int status = parseStatus(model.substring(ERROR_MODEL_PREFIX.length()));
            return error(status, status >= 500 ? "server_error" : "invalid_request_error", "Mock error " + status);
        }
        return switch (path) {
            case "/chat/completions" -> completion(body, model, true);
            case "/completions" -> completion(body, model, false);
            case "/embeddings" -> ok(embeddings(body, model));
            default -> error(404, "invalid_request_error", "Unknown request URL: " + path);
        };
    }

    private UpstreamResponse completion(JsonNode body, String model, boolean chat) {
        String prompt = chat ? lastUserText(body.path("messages")) : textOf(body.path("prompt"));
        String digest = digest(body);
        String text = "Mock answer " + digest.substring(0, 8) + ": " + abbreviate(prompt, 200);
        int promptTokens = tokens(chat ? body.path("messages").toString() : prompt);
        int completionTokens = tokens(text);
        long created = System.currentTimeMillis() / 1000;
        String id = (chat ? "chatcmpl-mock-" : "cmpl-mock-") + digest.substring(0, 24);
        if (body.path("stream").asBoolean(false)) {
            return streamed(id, created, model, text, chat, body.path("stream_options").path("include_usage").asBoolean(false),
                    promptTokens, completionTokens);
        }
        ObjectNode answer = json.createObjectNode()
                .put("id", id)
                .put("object", chat ? "chat.completion" : "text_completion")
                .put("created", created)
                .put("model", model);
        ObjectNode choice = answer.putArray("choices").addObject().put("index", 0);
        if (chat) {
            choice.putObject("message").put("role", "assistant").put("content", text).putNull("refusal");
        } else {
            choice.put("text", text);
        }
        choice.putNull("logprobs").put("finish_reason", "stop");
        usage(answer.putObject("usage"), promptTokens, completionTokens);
        answer.put("system_fingerprint", "fp_strata_mock");
        return ok(answer);
    }

    private UpstreamResponse streamed(String id, long created, String model, String text, boolean chat, boolean includeUsage,
            int promptTokens, int completionTokens) {
        List<String> sse = new ArrayList<>();
        String object = chat ? "chat.completion.chunk" : "text_completion";
        String[] words = text.split("(?<= )");
        for (int i = -1; i <= words.length; i++) {
            ObjectNode chunk = json.createObjectNode().put("id", id).put("object", object).put("created", created).put("model", model);
            ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
            if (chat) {
                ObjectNode delta = choice.putObject("delta");
                if (i == -1) {
                    delta.put("role", "assistant").put("content", "");
                } else if (i < words.length) {
                    delta.put("content", words[i]);
                }
            } else {
                choice.put("text", i >= 0 && i < words.length ? words[i] : "");
            }
            choice.putNull("logprobs");
            if (i == words.length) {
                choice.put("finish_reason", "stop");
            } else {
                choice.putNull("finish_reason");
            }
            if (includeUsage) {
                chunk.putNull("usage");
            }
            sse.add("data: " + chunk + "\n\n");
        }
        if (includeUsage) {
            ObjectNode chunk = json.createObjectNode().put("id", id).put("object", object).put("created", created).put("model", model);
            chunk.putArray("choices");
            usage(chunk.putObject("usage"), promptTokens, completionTokens);
            sse.add("data: " + chunk + "\n\n");
        }
        sse.add("data: [DONE]\n\n");
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("content-type", "text/event-stream");
        Multi<Buffer> events = Multi.createFrom().iterable(sse).map(Buffer::buffer);
        if (!chunkDelay.isZero()) {
            events = events.onItem().call(event -> Uni.createFrom().voidItem().onItem().delayIt().by(chunkDelay));
        }
        return new UpstreamResponse(200, headers, null, events);
    }

    private ObjectNode embeddings(JsonNode body, String model) {
        JsonNode input = body.path("input");
        ArrayNode inputs = input.isArray() ? (ArrayNode) input : json.createArrayNode().add(input.asText());
        ObjectNode answer = json.createObjectNode().put("object", "list");
        ArrayNode data = answer.putArray("data");
        int promptTokens = 0;
        for (int i = 0; i < inputs.size(); i++) {
            String text = inputs.get(i).isTextual() ? inputs.get(i).textValue() : inputs.get(i).toString();
            promptTokens += tokens(text);
            byte[] hash = sha256(text.getBytes(StandardCharsets.UTF_8));
            ArrayNode vector = data.addObject().put("object", "embedding").put("index", i).putArray("embedding");
            for (int d = 0; d < 8; d++) {
                vector.add(Math.round((hash[d] / 128.0) * 1e6) / 1e6);
            }
        }
        answer.put("model", model);
        answer.putObject("usage").put("prompt_tokens", promptTokens).put("total_tokens", promptTokens);
        return answer;
    }

    private ObjectNode models() {
        ObjectNode answer = json.createObjectNode().put("object", "list");
        answer.putArray("data").addObject().put("id", MODEL).put("object", "model").put("created", 1700000000L).put("owned_by", "strata");
        return answer;
    }

    private static void usage(ObjectNode usage, int promptTokens, int completionTokens) {
        usage.put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
    }

    private static String lastUserText(JsonNode messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            JsonNode message = messages.get(i);
            if ("user".equals(message.path("role").asText())) {
                return textOf(message.path("content"));
            }
        }
        return "";
    }

    private static String textOf(JsonNode content) {
        if (content.isTextual()) {
            return content.textValue();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            text.append(part.isTextual() ? part.textValue() : part.path("text").asText(""));
        }
        return text.toString();
    }

    private static int tokens(String text) {
        return Math.max(1, (int) Math.ceil(text.strip().split("\\s+").length * 1.3));
    }

    private static String abbreviate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "…";
    }

    private String digest(JsonNode body) {
        ObjectNode withoutStreamFields = body.deepCopy();
        withoutStreamFields.remove(java.util.List.of("stream", "stream_options"));
        return HexFormat.of().formatHex(sha256(withoutStreamFields.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int parseStatus(String value) {
        try {
            int status = Integer.parseInt(value);
            return status >= 400 && status <= 599 ? status : 500;
        } catch (NumberFormatException e) {
            return 500;
        }
    }

    private UpstreamResponse ok(JsonNode body) {
        return new UpstreamResponse(200, jsonHeaders(), Buffer.buffer(body.toString()));
    }

    private UpstreamResponse error(int status, String type, String message) {
        ObjectNode body = json.createObjectNode();
        body.putObject("error").put("message", message).put("type", type).putNull("param").putNull("code");
        return new UpstreamResponse(status, jsonHeaders(), Buffer.buffer(body.toString()));
    }

    private static MultiMap jsonHeaders() {
        return MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json");
    }
}
