package io.strata.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

/**
 * A TCP proxy in front of a real Redis or Postgres that a test can break in three ways: down
 * closes every open connection and refuses new ones (the server stopped); frozen accepts
 * connections and requests but answers nothing until thawed (a server under {@code kill -STOP},
 * or a network that drops packets); slow delays every reply by a fixed time (a server far away
 * or overloaded).
 */
final class FaultProxy {

    private final Vertx vertx;
    private final String targetHost;
    private final int targetPort;
    private final NetClient client;
    private final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
    /** Connections from the server side, paused while frozen. */
    private final Set<NetSocket> upstreams = ConcurrentHashMap.newKeySet();
    private final List<NetSocket> acceptedWhileFrozen = new ArrayList<>();
    private volatile boolean down;
    private volatile boolean frozen;
    private volatile long replyDelayMillis;
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
        synchronized (this) {
            if (frozen) {
                acceptedWhileFrozen.add(inbound); // accepted, never answered until thawed
                return;
            }
        }
        connect(inbound);
    }

    private void connect(NetSocket inbound) {
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
            upstreams.add(outbound);
            inbound.handler(outbound::write);
            outbound.handler(reply -> {
                long delay = replyDelayMillis;
                if (delay > 0) {
                    vertx.setTimer(delay, id -> inbound.write(reply)); // same delay for all: order is kept
                } else {
                    inbound.write(reply);
                }
            });
            inbound.closeHandler(v -> {
                sockets.remove(inbound);
                outbound.close();
            });
            outbound.closeHandler(v -> {
                sockets.remove(outbound);
                upstreams.remove(outbound);
                inbound.close();
            });
            if (frozen) {
                outbound.pause();
            }
            inbound.resume();
        });
    }

    void down() {
        down = true;
        sockets.forEach(NetSocket::close);
    }

    void up() {
        down = false;
        replyDelayMillis = 0;
        thaw();
    }

    /** Requests still arrive; no reply leaves the server side, and new connections wait, until {@link #thaw()}. */
    void freeze() {
        frozen = true;
        upstreams.forEach(NetSocket::pause);
    }

    void thaw() {
        List<NetSocket> waiting;
        synchronized (this) {
            frozen = false;
            waiting = new ArrayList<>(acceptedWhileFrozen);
            acceptedWhileFrozen.clear();
        }
        upstreams.forEach(NetSocket::resume);
        waiting.forEach(this::connect);
    }

    /** Every reply from the server is held this long before it is passed on; 0 for none. */
    void delayReplies(long millis) {
        replyDelayMillis = millis;
    }

    boolean isDown() {
        return down;
    }
}
