package io.strata.testing;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An OpenAI-compatible provider for the tests, on its own port. It records every request (with
 * its exact body bytes) and answers either from a script the test posted or with a default
 * completion that carries the call number, so a test can tell a fresh answer from a cached one.
 * Control endpoints under /__control/ let the test script it over HTTP, whatever class loader the
 * test runs in.
 */
final class FakeProvider {

    private final Vertx vertx;
    private final Map<String, FaultProxy> proxies;
    private final AtomicInteger calls = new AtomicInteger();
    private final List<JsonObject> recorded = new ArrayList<>();
    private final Deque<JsonObject> script = new ArrayDeque<>();
    private JsonObject sticky;
    private HttpServer server;

    FakeProvider(Vertx vertx, Map<String, FaultProxy> proxies) {
        this.vertx = vertx;
        this.proxies = proxies;
    }

    int start() throws Exception {
        server = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> handle(request, body)));
        return server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    }

    private void handle(HttpServerRequest request, Buffer body) {
        String path = request.path();
        if (path.startsWith("/__control/")) {
            control(request, path.substring("/__control/".length()), body);
            return;
        }
        JsonObject record = new JsonObject()
                .put("method", request.method().name())
                .put("path", request.uri())
                .put("body", Base64.getEncoder().encodeToString(body.getBytes()));
        JsonObject headers = new JsonObject();
        request.headers().forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
        record.put("headers", headers);
        JsonObject behaviour;
        synchronized (this) {
            recorded.add(record);
            behaviour = script.isEmpty() ? sticky : script.poll();
        }
        int call = calls.incrementAndGet();
        long delay = behaviour == null ? 0 : behaviour.getLong("delayMs", 0L);
        Runnable answer = () -> respond(request, body, behaviour, call);
        if (delay > 0) {
            vertx.setTimer(delay, id -> answer.run());
        } else {
            answer.run();
        }
    }

    private void respond(HttpServerRequest request, Buffer body, JsonObject behaviour, int call) {
        if (request.response().closed()) {
            return;
        }
        if (behaviour != null && behaviour.getBoolean("drop", false)) {
            request.connection().close();
            return;
        }
        int status = behaviour == null ? 200 : behaviour.getInteger("status", 200);
        JsonObject headers = behaviour == null ? null : behaviour.getJsonObject("headers");
        if (headers != null) {
            headers.forEach(h -> request.response().putHeader(h.getKey(), String.valueOf(h.getValue())));
        }
        JsonObject parsedRequest = body.length() == 0 ? new JsonObject() : new JsonObject(body);
        if (status == 200 && parsedRequest.getBoolean("stream", false) && (behaviour == null || !behaviour.containsKey("body"))) {
            stream(request, parsedRequest, behaviour, call);
            return;
        }
        String answer = behaviour != null && behaviour.containsKey("body")
                ? behaviour.getString("body")
                : defaultAnswer(request.path(), body, call).encode();
        request.response().setStatusCode(status);
        if (request.response().headers().get("content-type") == null) {
            request.response().putHeader("content-type", "application/json");
        }
        request.response().putHeader("x-ratelimit-remaining-requests", "99")
                .putHeader("openai-processing-ms", "12")
                .end(answer);
    }

    /**
     * A streamed answer: the scripted "events" (data payloads) or default chunks spelling
     * "answer #N", a usage chunk when include_usage is set, then [DONE]; "chunkDelayMs" apart;
     * "cutAfter" closes the connection after that many events.
     */
    private void stream(HttpServerRequest request, JsonObject parsed, JsonObject behaviour, int call) {
        List<String> events = new ArrayList<>();
        JsonArray scripted = behaviour == null ? null : behaviour.getJsonArray("events");
        String model = parsed.getString("model", "gpt-test") + "-2024-08-06";
        boolean chat = request.path().endsWith("/chat/completions");
        if (scripted != null) {
            scripted.forEach(event -> events.add(String.valueOf(event)));
        } else if (request.path().endsWith("/responses")) {
            events.addAll(responseEvents(parsed, call));
        } else {
            String id = "chatcmpl-" + call;
            String[] pieces = {"answer", " #", Integer.toString(call)};
            events.add(chunk(id, model, chat, chat ? new JsonObject().put("role", "assistant").put("content", "") : null, "", null));
            for (String piece : pieces) {
                events.add(chunk(id, model, chat, chat ? new JsonObject().put("content", piece) : null, piece, null));
            }
            events.add(chunk(id, model, chat, chat ? new JsonObject() : null, "", "stop"));
            if (parsed.getJsonObject("stream_options", new JsonObject()).getBoolean("include_usage", false)) {
                events.add(new JsonObject().put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion")
                        .put("created", 1700000000 + call).put("model", model).put("choices", new JsonArray())
                        .put("usage", new JsonObject().put("prompt_tokens", 11).put("completion_tokens", 7).put("total_tokens", 18))
                        .encode());
            }
            events.add("[DONE]");
        }
        long delay = behaviour == null ? 0 : behaviour.getLong("chunkDelayMs", 0L);
        int cutAfter = behaviour == null ? Integer.MAX_VALUE : behaviour.getInteger("cutAfter", Integer.MAX_VALUE);
        request.response().setChunked(true).putHeader("content-type", "text/event-stream")
                .putHeader("x-ratelimit-remaining-requests", "99");
        sendEvents(request, events, 0, delay, cutAfter);
    }

    private void sendEvents(HttpServerRequest request, List<String> events, int index, long delay, int cutAfter) {
        if (request.response().closed()) {
            return;
        }
        if (index >= cutAfter) {
            request.connection().close();
            return;
        }
        if (index >= events.size()) {
            request.response().end();
            return;
        }
        String event = events.get(index);
        request.response().write(event.startsWith("event:") ? event + "\n\n" : "data: " + event + "\n\n");
        if (delay > 0) {
            vertx.setTimer(delay, id -> sendEvents(request, events, index + 1, delay, cutAfter));
        } else {
            sendEvents(request, events, index + 1, delay, cutAfter);
        }
    }

    private static String chunk(String id, String model, boolean chat, JsonObject delta, String text, String finish) {
        JsonObject choice = new JsonObject().put("index", 0).put("logprobs", null).put("finish_reason", finish);
        if (chat) {
            choice.put("delta", delta);
        } else {
            choice.put("text", text);
        }
        return new JsonObject().put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion")
                .put("created", 1700000000).put("model", model).put("choices", new JsonArray().add(choice)).encode();
    }

    /** A /v1/responses answer: one message spelling "answer #N", usage 11 + 7 tokens. */
    static JsonObject response(JsonObject request, int call, String status, JsonArray output) {
        return new JsonObject().put("id", "resp_" + call).put("object", "response").put("created_at", 1700000000 + call)
                .put("status", status).put("error", null).put("incomplete_details", null)
                .put("instructions", request.getValue("instructions")).put("metadata", new JsonObject())
                .put("model", request.getString("model", "gpt-test") + "-2024-08-06").put("output", output)
                .put("parallel_tool_calls", true).put("temperature", 1.0).put("top_p", 1.0).put("tool_choice", "auto")
                .put("tools", new JsonArray()).put("previous_response_id", request.getValue("previous_response_id"))
                .put("usage", status.equals("completed")
                        ? new JsonObject().put("input_tokens", 11)
                                .put("input_tokens_details", new JsonObject().put("cached_tokens", 0)).put("output_tokens", 7)
                                .put("output_tokens_details", new JsonObject().put("reasoning_tokens", 0)).put("total_tokens", 18)
                        : null);
    }

    static JsonObject message(int call, String text) {
        return new JsonObject().put("id", "msg_" + call).put("type", "message").put("status", "completed").put("role", "assistant")
                .put("content", new JsonArray().add(new JsonObject().put("type", "output_text").put("text", text)
                        .put("annotations", new JsonArray())));
    }

    /** The events of a streamed /v1/responses answer spelling "answer #N", named as the Responses API names them. */
    private static List<String> responseEvents(JsonObject request, int call) {
        List<JsonObject> events = new ArrayList<>();
        JsonObject done = response(request, call, "completed", new JsonArray().add(message(call, "answer #" + call)));
        JsonObject starting = response(request, call, "in_progress", new JsonArray());
        String item = "msg_" + call;
        events.add(new JsonObject().put("type", "response.created").put("response", starting));
        events.add(new JsonObject().put("type", "response.in_progress").put("response", starting));
        events.add(new JsonObject().put("type", "response.output_item.added").put("output_index", 0).put("item",
                new JsonObject().put("id", item).put("type", "message").put("status", "in_progress").put("role", "assistant")
                        .put("content", new JsonArray())));
        events.add(new JsonObject().put("type", "response.content_part.added").put("item_id", item).put("output_index", 0)
                .put("content_index", 0)
                .put("part", new JsonObject().put("type", "output_text").put("text", "").put("annotations", new JsonArray())));
        for (String piece : new String[]{"answer", " #", Integer.toString(call)}) {
            events.add(new JsonObject().put("type", "response.output_text.delta").put("item_id", item).put("output_index", 0)
                    .put("content_index", 0).put("delta", piece).put("logprobs", new JsonArray()));
        }
        JsonObject part = done.getJsonArray("output").getJsonObject(0).getJsonArray("content").getJsonObject(0);
        events.add(new JsonObject().put("type", "response.output_text.done").put("item_id", item).put("output_index", 0)
                .put("content_index", 0).put("text", part.getString("text")).put("logprobs", new JsonArray()));
        events.add(new JsonObject().put("type", "response.content_part.done").put("item_id", item).put("output_index", 0)
                .put("content_index", 0).put("part", part));
        events.add(new JsonObject().put("type", "response.output_item.done").put("output_index", 0)
                .put("item", done.getJsonArray("output").getJsonObject(0)));
        events.add(new JsonObject().put("type", "response.completed").put("response", done));
        List<String> framed = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            JsonObject event = events.get(i).put("sequence_number", i);
            framed.add("event: " + event.getString("type") + "\ndata: " + event.encode());
        }
        return framed;
    }

    private static JsonObject defaultAnswer(String path, Buffer body, int call) {
        JsonObject request = body.length() == 0 ? new JsonObject() : new JsonObject(body);
        String model = request.getString("model", "gpt-test");
        if (path.endsWith("/responses")) {
            return response(request, call, "completed", new JsonArray().add(message(call, "answer #" + call)));
        }
        if (path.endsWith("/models")) {
            return new JsonObject().put("object", "list").put("data", new JsonArray()
                    .add(new JsonObject().put("id", "gpt-test").put("object", "model").put("created", 1).put("owned_by", "test")));
        }
        if (path.endsWith("/embeddings")) {
            return new JsonObject().put("object", "list").put("model", model + "-v2")
                    .put("data", new JsonArray().add(new JsonObject().put("object", "embedding").put("index", 0)
                            .put("embedding", new JsonArray().add(0.1).add(0.2).add(call))))
                    .put("usage", new JsonObject().put("prompt_tokens", 3).put("total_tokens", 3));
        }
        String content = "answer #" + call;
        JsonObject choice = new JsonObject().put("index", 0).put("logprobs", null).put("finish_reason", "stop");
        if (path.endsWith("/chat/completions")) {
            choice.put("message", new JsonObject().put("role", "assistant").put("content", content).put("refusal", null));
        } else {
            choice.put("text", content);
        }
        return new JsonObject()
                .put("id", "chatcmpl-" + call)
                .put("object", path.endsWith("/chat/completions") ? "chat.completion" : "text_completion")
                .put("created", 1700000000 + call)
                .put("model", model + "-2024-08-06")
                .put("choices", new JsonArray().add(choice))
                .put("usage", new JsonObject().put("prompt_tokens", 11).put("completion_tokens", 7).put("total_tokens", 18));
    }

    private void control(HttpServerRequest request, String command, Buffer body) {
        JsonObject answer = new JsonObject();
        synchronized (this) {
            switch (command) {
                case "reset" -> {
                    recorded.clear();
                    script.clear();
                    sticky = null;
                    calls.set(0);
                    proxies.values().forEach(FaultProxy::up);
                }
                case "script" -> new JsonArray(body).forEach(item -> script.add((JsonObject) item));
                case "sticky" -> sticky = body.length() == 0 ? null : new JsonObject(body);
                case "requests" -> answer.put("requests", new JsonArray(new ArrayList<>(recorded)));
                default -> {
                    // proxy/<name>/<down|up|freeze|thaw|delay-<ms>>
                    String[] parts = command.split("/");
                    if (parts.length == 3 && parts[0].equals("proxy") && proxies.containsKey(parts[1])) {
                        FaultProxy proxy = proxies.get(parts[1]);
                        switch (parts[2]) {
                            case "down" -> proxy.down();
                            case "freeze" -> proxy.freeze();
                            case "thaw" -> proxy.thaw();
                            default -> {
                                if (parts[2].startsWith("delay-")) {
                                    proxy.delayReplies(Long.parseLong(parts[2].substring("delay-".length())));
                                } else {
                                    proxy.up();
                                }
                            }
                        }
                    } else {
                        request.response().setStatusCode(404).end();
                        return;
                    }
                }
            }
            answer.put("calls", calls.get());
        }
        request.response().putHeader("content-type", "application/json").end(answer.encode());
    }
}
