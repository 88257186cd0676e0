package io.strata.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;

/** HTTP/2 over cleartext with prior knowledge (h2c), every request on one connection: for tests of Strata's HTTP/2 handling. */
public final class H2c {

    private H2c() {
    }

    public static HttpClient client(Vertx vertx, String host, int port) {
        return vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
                .setHttp2MaxPoolSize(1).setDefaultHost(host).setDefaultPort(port));
    }

    /** Sends the request (with the body, unless null) and answers "status body", or "failed: " and the failure. */
    public static Future<String> exchange(HttpClient http, RequestOptions options, String body) {
        return http.request(options.putHeader("Authorization", "Bearer sk-test-a"))
                .compose(request -> body == null ? request.send() : request.send(Buffer.buffer(body)))
                .compose(response -> response.body().map(answer -> response.statusCode() + " " + answer))
                .recover(failed -> Future.succeededFuture("failed: " + failed));
    }

    /** A chat completion with this JSON body. */
    public static Future<String> chat(HttpClient http, String body) {
        return exchange(http, new RequestOptions().setMethod(HttpMethod.POST).setURI("/v1/chat/completions")
                .putHeader("Content-Type", "application/json"), body);
    }
}
