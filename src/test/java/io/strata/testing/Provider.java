package io.strata.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.eclipse.microprofile.config.ConfigProvider;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** The tests' handle on {@link FakeProvider} and the fault proxies, over the fake's control endpoints. */
public final class Provider {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private Provider() {
    }

    /** Forgets recorded calls and scripts, and brings Redis and Postgres back up. */
    public static void reset() {
        control("reset", "");
    }

    /** The next calls answer these, in order (status, body, headers, delayMs, drop). */
    public static void script(JsonObject... answers) {
        JsonArray list = new JsonArray();
        for (JsonObject answer : answers) {
            list.add(answer);
        }
        control("script", list.encode());
    }

    /** Every call answers this until {@link #reset()}. */
    public static void always(JsonObject answer) {
        control("sticky", answer.encode());
    }

    public static int calls() {
        return control("requests", "").getInteger("calls");
    }

    /** Every request the provider received, oldest first. */
    public static List<Recorded> requests() {
        JsonArray list = control("requests", "").getJsonArray("requests");
        List<Recorded> requests = new ArrayList<>();
        for (Object item : list) {
            JsonObject json = (JsonObject) item;
            requests.add(new Recorded(json.getString("method"), json.getString("path"), json.getJsonObject("headers"),
                    Base64.getDecoder().decode(json.getString("body"))));
        }
        return requests;
    }

    public static void redisDown() {
        control("proxy/redis/down", "");
    }

    public static void redisUp() {
        control("proxy/redis/up", "");
    }

    /** Redis accepts connections and commands but answers nothing until {@link #redisThaw()} (or a reset). */
    public static void redisFreeze() {
        control("proxy/redis/freeze", "");
    }

    public static void redisThaw() {
        control("proxy/redis/thaw", "");
    }

    /** Every Redis reply arrives this much later (0: none). */
    public static void redisDelay(long millis) {
        control("proxy/redis/delay-" + millis, "");
    }

    /** Postgres accepts connections and queries but answers nothing until {@link #postgresThaw()} (or a reset). */
    public static void postgresFreeze() {
        control("proxy/postgres/freeze", "");
    }

    public static void postgresThaw() {
        control("proxy/postgres/thaw", "");
    }

    public static void postgresDown() {
        control("proxy/postgres/down", "");
    }

    public static void postgresUp() {
        control("proxy/postgres/up", "");
    }

    public static JsonObject status(int status, String body) {
        return new JsonObject().put("status", status).put("body", body);
    }

    public static JsonObject delayed(long millis) {
        return new JsonObject().put("delayMs", millis);
    }

    private static JsonObject control(String command, String body) {
        String base = ConfigProvider.getConfig().getValue("strata.test.control-url", String.class);
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(base + command))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("Fake provider control " + command + " answered " + response.statusCode());
            }
            return new JsonObject(response.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** One request as the provider received it. */
    public record Recorded(String method, String path, JsonObject headers, byte[] body) {
        public JsonObject json() {
            return new JsonObject(new String(body, java.nio.charset.StandardCharsets.UTF_8));
        }
    }
}
