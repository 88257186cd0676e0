package io.strata.core;

import java.util.function.Supplier;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;

/** Bridges Vert.x futures into Mutiny lazily: the future is created when the Uni is subscribed, once per subscription. */
public final class VertxFutures {

    private VertxFutures() {
    }

    public static <T> Uni<T> uni(Supplier<Future<T>> future) {
        return Uni.createFrom().emitter(emitter -> {
            Future<T> started;
            try {
                started = future.get();
            } catch (RuntimeException e) {
                emitter.fail(e);
                return;
            }
            started.onComplete(result -> {
                if (result.succeeded()) {
                    emitter.complete(result.result());
                } else {
                    emitter.fail(result.cause());
                }
            });
        });
    }
}
