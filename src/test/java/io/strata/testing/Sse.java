package io.strata.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** A small streaming client for the tests: reads server-sent events one by one, noting when each arrived. */
public final class Sse {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private Sse() {
    }

    /** One streamed answer: status, headers, and each event's data with its arrival time (ms after the request). */
    public record Reply(int status, Map<String, List<String>> headers, List<String> data, List<Long> arrivals, String rawBody) {

        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }

        /** The chat text the chunks spell. */
        public String text() {
            StringBuilder text = new StringBuilder();
            for (JsonObject chunk : chunks()) {
                JsonArray choices = chunk.getJsonArray("choices", new JsonArray());
                for (int i = 0; i < choices.size(); i++) {
                    JsonObject choice = choices.getJsonObject(i);
                    JsonObject delta = choice.getJsonObject("delta");
                    if (delta != null && delta.getString("content") != null) {
                        text.append(delta.getString("content"));
                    } else if (choice.getString("text") != null) {
                        text.append(choice.getString("text"));
                    }
                }
            }
            return text.toString();
        }

        /** The JSON chunks (not [DONE]). */
        public List<JsonObject> chunks() {
            List<JsonObject> chunks = new ArrayList<>();
            for (String item : data) {
                if (!item.equals("[DONE]")) {
                    chunks.add(new JsonObject(item));
                }
            }
            return chunks;
        }

        public boolean hasUsageChunk() {
            return chunks().stream()
                    .anyMatch(c -> c.getJsonArray("choices", new JsonArray()).isEmpty() && c.getJsonObject("usage") != null);
        }

        public boolean endsWithDone() {
            return !data.isEmpty() && data.get(data.size() - 1).equals("[DONE]");
        }
    }

    public static Reply post(URI url, String body, Map<String, String> headers) {
        return post(url, body, headers, Integer.MAX_VALUE);
    }

    /** Posts and reads events; stops (closing the connection) after {@code stopAfter} events. */
    public static Reply post(URI url, String body, Map<String, String> headers, int stopAfter) {
        HttpRequest.Builder request = HttpRequest.newBuilder(url).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").header("Authorization", "Bearer sk-test-a");
        headers.forEach(request::header);
        long start = System.nanoTime();
        try {
            HttpResponse<java.io.InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            List<String> data = new ArrayList<>();
            List<Long> arrivals = new ArrayList<>();
            StringBuilder raw = new StringBuilder();
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String line;
                while (data.size() < stopAfter && (line = reader.readLine()) != null) {
                    raw.append(line).append('\n');
                    if (line.startsWith("data: ")) {
                        data.add(line.substring(6));
                        arrivals.add((System.nanoTime() - start) / 1_000_000);
                    }
                }
            }
            return new Reply(response.statusCode(), response.headers().map(), data, arrivals, raw.toString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
