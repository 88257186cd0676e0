package io.strata.upstream;

import java.net.URI;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.operators.multi.processors.UnicastProcessor;
import io.strata.config.UpstreamConfig;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.core.http.HttpClient;
import io.vertx.mutiny.core.http.HttpClientResponse;

/** The provider over HTTP(S), through one pooled, non-blocking Vert.x client. */
final class HttpUpstream implements Upstream {

    private final HttpClient client;
    private final String baseUrl;
    private final long maxResponseBytes;
    private final long idleTimeoutMillis;
    /** The host and the cause, once in a while: a 502 alone tells an operator nothing. */
    private final io.strata.core.ThrottledLog unreachableLog = new io.strata.core.ThrottledLog(
            org.jboss.logging.Logger.getLogger(HttpUpstream.class), org.jboss.logging.Logger.Level.WARN, 10_000);

    HttpUpstream(Vertx vertx, UpstreamConfig config) {
        URI base = URI.create(config.baseUrl());
        boolean tls = "https".equalsIgnoreCase(base.getScheme());
        HttpClientOptions options = new HttpClientOptions()
                .setSsl(tls)
                .setTrustAll(false)
                .setVerifyHost(tls)
                .setConnectTimeout((int) config.connectTimeout().toMillis())
                .setMaxPoolSize(config.maxConnections())
                .setKeepAlive(true)
                .setDecompressionSupported(true);
        this.client = vertx.createHttpClient(options);
        this.baseUrl = config.baseUrl().endsWith("/") ? config.baseUrl().substring(0, config.baseUrl().length() - 1) : config.baseUrl();
        this.maxResponseBytes = config.maxResponseSize().asLongValue();
        // Backstop only: the guard's timeout answers the client first; this frees a connection a dead provider holds.
        this.idleTimeoutMillis = config.timeout().toMillis() + 5_000;
    }

    @Override
    public Uni<UpstreamResponse> send(UpstreamRequest request) {
        RequestOptions options = new RequestOptions()
                .setMethod(request.method())
                .setAbsoluteURI(baseUrl + request.path())
                .setHeaders(request.headers())
                .setIdleTimeout(idleTimeoutMillis);
        return client.request(options)
                .chain(http -> request.body() == null ? http.send() : http.send(Buffer.newInstance(request.body())))
                .onFailure().transform(this::asConnectFailure)
                .chain(response -> request.streaming() && response.statusCode() == 200 ? live(response) : read(response));
    }

    /**
     * A streamed answer, handed on as it arrives. Its handlers are attached here, at once: a stream
     * that ends or breaks before its one subscriber arrives must still say so (a paused Vert.x
     * stream with no exception handler would lose a connection reset and never end).
     */
    private Uni<UpstreamResponse> live(HttpClientResponse response) {
        io.vertx.core.http.HttpClientResponse stream = response.getDelegate();
        UnicastProcessor<io.vertx.core.buffer.Buffer> bytes = UnicastProcessor.create();
        long[] received = {0};
        stream.handler(chunk -> {
            received[0] += chunk.length();
            if (received[0] > maxResponseBytes) { // a stream is bounded like a whole answer: it is assembled and stored too
                stream.handler(null);
                response.request().reset();
                bytes.onError(new UpstreamBadResponse("Provider stream exceeds the limit of " + maxResponseBytes + " bytes"));
                return;
            }
            bytes.onNext(chunk);
        });
        stream.exceptionHandler(failure -> {
            if (received[0] <= maxResponseBytes) {
                bytes.onError(new UpstreamConnectFailure(failure));
            }
        });
        stream.endHandler(ended -> {
            if (received[0] <= maxResponseBytes) {
                bytes.onComplete();
            }
        });
        return Uni.createFrom().item(new UpstreamResponse(200, stream.headers(), null, bytes));
    }

    private Uni<UpstreamResponse> read(HttpClientResponse response) {
        String length = response.getHeader("content-length");
        if (length != null && parseLength(length) > maxResponseBytes) {
            response.request().reset();
            return Uni.createFrom().failure(new UpstreamBadResponse("Provider answer of " + length + " bytes exceeds the limit"));
        }
        return response.body()
                .onFailure().transform(this::asConnectFailure)
                .map(body -> {
                    if (body.length() > maxResponseBytes) {
                        throw new UpstreamBadResponse("Provider answer exceeds the limit");
                    }
                    return new UpstreamResponse(response.statusCode(), response.headers().getDelegate(), body.getDelegate());
                });
    }

    private static long parseLength(String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private Throwable asConnectFailure(Throwable failure) {
        if (failure instanceof UpstreamBadResponse) {
            return failure;
        }
        unreachableLog.occurred("Provider " + baseUrl + " unreachable: " + failure);
        return new UpstreamConnectFailure(failure);
    }
}
