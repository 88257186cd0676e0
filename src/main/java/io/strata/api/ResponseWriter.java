package io.strata.api;

import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

import io.smallrye.mutiny.subscription.MultiSubscriber;
import io.strata.proxy.ProxyResult;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * Writes a {@link ProxyResult} on the HTTP response: a whole body in one write with its
 * Content-Length, or a stream chunk by chunk, pausing while the client's socket is full. Runs
 * {@code whenDone} once, when the answer is sent or the client has gone.
 */
final class ResponseWriter {

    private static final Buffer EMPTY = Buffer.buffer(0);

    private ResponseWriter() {
    }

    /**
     * The client leaving is seen through the routing context's end handlers, not the response's
     * close handler: setting that one would replace the end handlers' own, and what they release
     * (the body's bytes in flight, the connection's deadlines) would never be released.
     */
    static void write(RoutingContext context, ProxyResult result, Runnable whenDone) {
        HttpServerResponse response = context.response();
        if (response.closed() || response.ended()) {
            whenDone.run();
            return;
        }
        response.setStatusCode(result.status());
        result.headers().forEach(header -> response.headers().add(header.getKey(), header.getValue()));
        if (result.stream() == null) {
            response.end(result.body() == null ? EMPTY : result.body());
            whenDone.run();
            return;
        }
        response.setChunked(true);
        StreamSubscriber subscriber = new StreamSubscriber(response, Vertx.currentContext(), whenDone);
        context.addEndHandler(ended -> {
            if (!response.ended()) { // closed before the end was written
                subscriber.clientLeft();
            }
        });
        result.stream().subscribe().withSubscriber(subscriber);
    }

    /** Relays a stream with back-pressure from the client's socket; items are written on the response's own event loop. */
    private static final class StreamSubscriber implements MultiSubscriber<Buffer> {
        private final HttpServerResponse response;
        private final Context context;
        private final Runnable whenDone;
        private final AtomicBoolean finished = new AtomicBoolean();
        private volatile Flow.Subscription subscription;
        private volatile boolean left;

        StreamSubscriber(HttpServerResponse response, Context context, Runnable whenDone) {
            this.response = response;
            this.context = context;
            this.whenDone = whenDone;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (left) {
                s.cancel();
                finish();
                return;
            }
            s.request(1);
        }

        /** The client closed the connection before the end. */
        void clientLeft() {
            left = true;
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
                finish();
            }
        }

        @Override
        public void onItem(Buffer chunk) {
            onLoop(() -> {
                if (response.closed()) {
                    return;
                }
                response.write(chunk);
                if (response.writeQueueFull()) {
                    response.drainHandler(drained -> subscription.request(1));
                } else {
                    subscription.request(1);
                }
            });
        }

        @Override
        public void onFailure(Throwable failure) {
            onLoop(() -> {
                if (!response.closed()) {
                    response.reset(); // mid-stream there is no status left to send: cut the connection, as a provider would
                }
                finish();
            });
        }

        @Override
        public void onCompletion() {
            onLoop(() -> {
                if (!response.closed() && !response.ended()) {
                    response.end();
                }
                finish();
            });
        }

        private void onLoop(Runnable action) {
            if (context == null || Vertx.currentContext() == context) {
                action.run();
            } else {
                context.runOnContext(v -> action.run());
            }
        }

        private void finish() {
            if (finished.compareAndSet(false, true)) {
                whenDone.run();
            }
        }
    }
}
