package io.strata.testing;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

/**
 * A TCP proxy in front of a real Redis or Postgres that a test can take down and bring back:
 * down closes every open connection and refuses new ones, which is what Strata sees when the
 * server stops.
 */
final class FaultProxy {

    private final Vertx vertx;
    private final String targetHost;
    private final int targetPort;
    private final NetClient client;
    private final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
    private volatile boolean down;
    private NetServer server;

    FaultProxy(Vertx vertx, String targetHost, int targetPort) {
        this.vertx = vertx;
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.client = vertx.createNetClient();
    }

    int start() throws Exception {
        server = vertx.createNetServer().connectHandler(this::accept);
        return server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    }

    private void accept(NetSocket inbound) {
        if (down) {
            inbound.close();
            return;
        }
        inbound.pause();
        client.connect(targetPort, targetHost).onComplete(result -> {
            if (result.failed() || down) {
                inbound.close();
                if (result.succeeded()) {
                    result.result().close();
                }
                return;
            }
            NetSocket outbound = result.result();
            sockets.add(inbound);
            sockets.add(outbound);
            inbound.handler(outbound::write);
            outbound.handler(inbound::write);
            inbound.closeHandler(v -> {
                sockets.remove(inbound);
                outbound.close();
            });
            outbound.closeHandler(v -> {
                sockets.remove(outbound);
                inbound.close();
            });
            inbound.resume();
        });
    }

    void down() {
        down = true;
        sockets.forEach(NetSocket::close);
    }

    void up() {
        down = false;
    }

    boolean isDown() {
        return down;
    }
}
