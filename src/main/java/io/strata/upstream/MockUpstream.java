package io.strata.upstream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.upstream.sse.ResponseEventSynthesizer;
import io.strata.upstream.sse.SseEvent;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * The built-in {@code mock} provider: deterministic answers derived from the request (the same
 * request always gets the same text), plausible usage figures, a configurable latency, SSE when
 * {@code stream: true}; chat completions, completions, responses, embeddings and models. Given
 * tools it calls one, then answers with the tool's result; given a JSON schema it answers JSON
 * that validates against it (see {@link MockReply}). A model named {@code mock-error-<status>}
 * answers that status, so applications can test their error handling through Strata.
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
            case "/responses" -> response(body, model);
            case "/embeddings" -> ok(embeddings(body, model));
            default -> error(404, "invalid_request_error", "Unknown request URL: " + path);
        };
    }

    private UpstreamResponse completion(JsonNode body, String model, boolean chat) {
        JsonNode messages = body.path("messages");
        String prompt = chat ? lastUserText(messages) : textOf(body.path("prompt"));
        String digest = digest(body);
        String plain = "Mock answer " + digest.substring(0, 8) + ": " + abbreviate(prompt, 200);
        MockReply reply = chat
                ? MockReply.decide(json, chatTools(body), body.get("tool_choice"), lastToolResult(messages),
                        chatFormat(body.get("response_format")), plain)
                : new MockReply(plain, null, null);
        int promptTokens = tokens(chat ? messages.toString() : prompt);
        int completionTokens = tokens(reply.isToolCall() ? reply.toolArguments() : reply.text());
        long created = System.currentTimeMillis() / 1000;
        String id = (chat ? "chatcmpl-mock-" : "cmpl-mock-") + digest.substring(0, 24);
        String callId = "call_mock_" + digest.substring(0, 16);
        if (body.path("stream").asBoolean(false)) {
            return streamed(id, created, model, reply, callId, chat, body.path("stream_options").path("include_usage").asBoolean(false),
                    promptTokens, completionTokens);
        }
        ObjectNode answer = json.createObjectNode()
                .put("id", id)
                .put("object", chat ? "chat.completion" : "text_completion")
                .put("created", created)
                .put("model", model);
        ObjectNode choice = answer.putArray("choices").addObject().put("index", 0);
        if (chat) {
            ObjectNode message = choice.putObject("message").put("role", "assistant").put("content", reply.text());
            message.putNull("refusal");
            if (reply.isToolCall()) {
                message.putArray("tool_calls").addObject().put("id", callId).put("type", "function").putObject("function")
                        .put("name", reply.toolName()).put("arguments", reply.toolArguments());
            }
        } else {
            choice.put("text", reply.text());
        }
        choice.putNull("logprobs").put("finish_reason", reply.isToolCall() ? "tool_calls" : "stop");
        usage(answer.putObject("usage"), promptTokens, completionTokens);
        answer.put("system_fingerprint", "fp_strata_mock");
        return ok(answer);
    }

    private UpstreamResponse streamed(String id, long created, String model, MockReply reply, String callId, boolean chat,
            boolean includeUsage, int promptTokens, int completionTokens) {
        String object = chat ? "chat.completion.chunk" : "text_completion";
        List<ObjectNode> deltas = new ArrayList<>();
        if (reply.isToolCall()) {
            ObjectNode first = json.createObjectNode().put("role", "assistant");
            first.putNull("content");
            first.putArray("tool_calls").addObject().put("index", 0).put("id", callId).put("type", "function")
                    .putObject("function").put("name", reply.toolName()).put("arguments", "");
            deltas.add(first);
            ObjectNode arguments = json.createObjectNode();
            arguments.putArray("tool_calls").addObject().put("index", 0).putObject("function").put("arguments", reply.toolArguments());
            deltas.add(arguments);
        } else {
            deltas.add(json.createObjectNode().put("role", "assistant").put("content", ""));
            for (String word : reply.text().split("(?<= )")) {
                deltas.add(json.createObjectNode().put("content", word));
            }
        }
        deltas.add(json.createObjectNode());
        List<String> sse = new ArrayList<>();
        for (int i = 0; i < deltas.size(); i++) {
            ObjectNode chunk = json.createObjectNode().put("id", id).put("object", object).put("created", created).put("model", model);
            ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
            ObjectNode delta = deltas.get(i);
            if (chat) {
                choice.set("delta", delta);
            } else {
                choice.put("text", delta.path("content").asText(""));
            }
            choice.putNull("logprobs");
            if (i == deltas.size() - 1) {
                choice.put("finish_reason", reply.isToolCall() ? "tool_calls" : "stop");
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
        return streaming(sse);
    }

    /** /v1/responses: one message, or one function call, in the Responses API's shape; streamed as named events. */
    private UpstreamResponse response(JsonNode body, String model) {
        JsonNode input = body.path("input");
        String prompt = input.isTextual() ? input.textValue() : lastUserText(input);
        String digest = digest(body);
        String plain = "Mock answer " + digest.substring(0, 8) + ": " + abbreviate(prompt, 200);
        List<JsonNode> tools = new ArrayList<>();
        for (JsonNode tool : body.path("tools")) {
            if ("function".equals(tool.path("type").asText())) {
                tools.add(tool);
            }
        }
        MockReply reply = MockReply.decide(json, tools, body.get("tool_choice"), lastFunctionOutput(input),
                body.path("text").get("format"), plain);
        ObjectNode response = json.createObjectNode().put("id", "resp_mock_" + digest.substring(0, 24)).put("object", "response")
                .put("created_at", System.currentTimeMillis() / 1000).put("status", "completed");
        response.putNull("error");
        response.putNull("incomplete_details");
        response.set("instructions", body.path("instructions").isTextual() ? body.get("instructions") : json.nullNode());
        response.set("max_output_tokens", body.path("max_output_tokens").isNumber() ? body.get("max_output_tokens") : json.nullNode());
        response.put("model", model);
        ObjectNode item = response.putArray("output").addObject();
        if (reply.isToolCall()) {
            item.put("id", "fc_mock_" + digest.substring(0, 16)).put("type", "function_call").put("status", "completed")
                    .put("arguments", reply.toolArguments()).put("call_id", "call_mock_" + digest.substring(0, 16))
                    .put("name", reply.toolName());
        } else {
            ObjectNode part = item.put("id", "msg_mock_" + digest.substring(0, 16)).put("type", "message").put("status", "completed")
                    .put("role", "assistant").putArray("content").addObject().put("type", "output_text").put("text", reply.text());
            part.putArray("annotations");
            part.putArray("logprobs");
        }
        response.put("parallel_tool_calls", body.path("parallel_tool_calls").asBoolean(true));
        response.set("previous_response_id",
                body.path("previous_response_id").isTextual() ? body.get("previous_response_id") : json.nullNode());
        response.putObject("reasoning").putNull("effort").putNull("summary");
        response.put("store", body.path("store").asBoolean(true));
        response.put("temperature", body.path("temperature").asDouble(1.0));
        if (body.path("text").isObject()) {
            response.set("text", body.get("text"));
        } else {
            response.putObject("text").putObject("format").put("type", "text");
        }
        response.set("tool_choice", body.has("tool_choice") ? body.get("tool_choice") : json.getNodeFactory().textNode("auto"));
        response.set("tools", body.path("tools").isArray() ? body.get("tools") : json.createArrayNode());
        response.put("top_p", body.path("top_p").asDouble(1.0));
        response.put("truncation", body.path("truncation").asText("disabled"));
        int inputTokens = tokens(body.path("instructions").asText("") + " " + input);
        int outputTokens = tokens(reply.isToolCall() ? reply.toolArguments() : reply.text());
        ObjectNode usage = response.putObject("usage").put("input_tokens", inputTokens);
        usage.putObject("input_tokens_details").put("cached_tokens", 0);
        usage.put("output_tokens", outputTokens);
        usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
        usage.put("total_tokens", inputTokens + outputTokens);
        response.putNull("user");
        response.set("metadata", body.path("metadata").isObject() ? body.get("metadata") : json.createObjectNode());
        if (!body.path("stream").asBoolean(false)) {
            return ok(response);
        }
        List<String> sse = new ArrayList<>();
        for (SseEvent event : ResponseEventSynthesizer.wordByWord(json).events(response)) {
            sse.add(new String(event.raw(), StandardCharsets.UTF_8));
        }
        return streaming(sse);
    }

    private UpstreamResponse streaming(List<String> sse) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("content-type", "text/event-stream");
        Multi<Buffer> events = Multi.createFrom().iterable(sse).map(Buffer::buffer);
        if (!chunkDelay.isZero()) {
            events = events.onItem().call(event -> Uni.createFrom().voidItem().onItem().delayIt().by(chunkDelay));
        }
        return new UpstreamResponse(200, headers, null, events);
    }

    /** The function tools of a chat request, as {@code {"name","parameters"}}. */
    private static List<JsonNode> chatTools(JsonNode body) {
        List<JsonNode> tools = new ArrayList<>();
        for (JsonNode tool : body.path("tools")) {
            if (tool.path("function").isObject()) {
                tools.add(tool.get("function"));
            }
        }
        return tools;
    }

    /** A chat {@code response_format} in the Responses API's {@code text.format} shape ({@code schema} at its top). */
    private JsonNode chatFormat(JsonNode responseFormat) {
        if (responseFormat == null || !"json_schema".equals(responseFormat.path("type").asText())) {
            return responseFormat;
        }
        return json.createObjectNode().put("type", "json_schema").set("schema", responseFormat.path("json_schema").path("schema"));
    }

    private static String lastToolResult(JsonNode messages) {
        JsonNode last = messages.size() == 0 ? null : messages.get(messages.size() - 1);
        return last != null && "tool".equals(last.path("role").asText()) ? textOf(last.path("content")) : null;
    }

    private static String lastFunctionOutput(JsonNode input) {
        JsonNode last = input.isArray() && input.size() > 0 ? input.get(input.size() - 1) : null;
        return last != null && "function_call_output".equals(last.path("type").asText()) ? textOf(last.path("output")) : null;
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
