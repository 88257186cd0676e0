package io.strata.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.ConfigProvider;

import io.quarkus.proxy.ProxyConfigurationRegistry;
import io.quarkus.redis.runtime.client.VertxRedisClientFactory;
import io.quarkus.redis.runtime.client.config.RedisConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.tls.TlsConfigurationRegistry;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.mutiny.Uni;
import io.strata.core.VertxFutures;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisCluster;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * Redis for the request path: every command issued from an event loop is pipelined on that loop's
 * own connection (see {@link EventLoopConnections}), so a command's time is Redis' time, not a wait
 * for a pooled connection, and its reply is read on the loop that asked. A Vert.x Redis client
 * keeps all its connections on the loop it was created on, so each loop gets its own client, made
 * by Quarkus' factory from the same {@code quarkus.redis.*} configuration (standalone, Sentinel or
 * cluster alike). Off the event loop the pooled default client is used.
 * <p>
 * On a Redis Cluster a turn's commands are sent one by one (a pipelined batch must stay on one
 * node, and the keys of one turn are spread over all of them), and a connection that lost one
 * node is kept while a new one is opened: the other nodes' slots go on answering.
 */
@Singleton
public class PipelinedRedis {

    /** Pool names of the per-loop clients (strata-loop-1, ...); the default client keeps Quarkus' name. */
    static final String LOOP_CLIENT_PREFIX = "strata-loop-";
    private static final String MAINTENANCE_CLIENT = "strata-maintenance";

    private final Redis pooled;
    private final AtomicInteger loopClients = new AtomicInteger();
    private final List<Redis> perLoopClients = new CopyOnWriteArrayList<>();
    private final EventLoopConnections<RedisConnection> connections;
    private final ThreadLocal<Batch> batches = ThreadLocal.withInitial(Batch::new);
    private final boolean cluster;
    /** The Vert.x cluster client itself (the injected one is wrapped), for commands sent to every master; null when not a cluster. */
    private final Redis maintenance;

    public PipelinedRedis(Redis pooled, Vertx vertx, TlsConfigurationRegistry tls, ProxyConfigurationRegistry proxies) {
        this.pooled = pooled;
        RedisConfig config = ConfigProvider.getConfig().unwrap(SmallRyeConfig.class).getConfigMapping(RedisConfig.class);
        this.cluster = config.clients().get(RedisConfig.DEFAULT_CLIENT_NAME).clientType() == RedisClientType.CLUSTER;
        ThreadLocal<Redis> loopClient = ThreadLocal.withInitial(() -> {
            // A pool name of its own per loop: the pool's gauges (redis_pool_*{pool_name}) are
            // registered by name, and a second pool under the default client's name is a duplicate.
            Redis client = VertxRedisClientFactory.create(LOOP_CLIENT_PREFIX + loopClients.incrementAndGet(), vertx,
                    config.clients().get(RedisConfig.DEFAULT_CLIENT_NAME), tls, proxies);
            perLoopClients.add(client);
            return client;
        });
        this.maintenance = cluster
                ? VertxRedisClientFactory.create(MAINTENANCE_CLIENT, vertx,
                        config.clients().get(RedisConfig.DEFAULT_CLIENT_NAME), tls, proxies)
                : null;
        this.connections = new EventLoopConnections<>(() -> loopClient.get().connect(), (connection, broken) -> {
            connection.exceptionHandler(failure -> broken.run());
            connection.endHandler(ended -> broken.run());
        }, cluster, RedisConnection::close);
    }

    /** Whether the configured Redis is a cluster (quarkus.redis.client-type=cluster). */
    public boolean cluster() {
        return cluster;
    }

    /**
     * Sends the command to every master (one reply each) on a cluster, to the server otherwise;
     * fails when a master does not answer.
     */
    public Uni<List<Response>> onEveryMaster(Request request) {
        if (!cluster) {
            return VertxFutures.uni(() -> pooled.send(request)).map(List::of);
        }
        return VertxFutures.uni(() -> RedisCluster.create(maintenance).onAllMasterNodes(request));
    }

    /** Sends the command when subscribed; a null reply is an item of null. */
    public Uni<Response> send(Request request) {
        return VertxFutures.uni(() -> sendNow(request));
    }

    /**
     * Sends the command in this loop turn's batch: every command issued while the loop handles
     * one round of requests leaves in one write (a syscall per command was the largest single
     * cost of a hit), at the end of the turn.
     */
    public Future<Response> sendNow(Request request) {
        if (connections.current() == null) {
            return pooled.send(request);
        }
        Batch batch = batches.get();
        Promise<Response> reply = Promise.promise();
        batch.requests.add(request);
        batch.replies.add(reply);
        if (!batch.scheduled) {
            batch.scheduled = true;
            Vertx.currentContext().runOnContext(turnEnded -> flush(batch));
        }
        return reply.future();
    }

    private void flush(Batch batch) {
        List<Request> requests = batch.requests;
        List<Promise<Response>> replies = batch.replies;
        batch.requests = new ArrayList<>();
        batch.replies = new ArrayList<>();
        batch.scheduled = false;
        Future<RedisConnection> connection = connections.current();
        if (requests.size() == 1 || cluster) {
            for (int i = 0; i < requests.size(); i++) {
                Request request = requests.get(i);
                connection.compose(open -> open.send(request)).onComplete(replies.get(i));
            }
            return;
        }
        connection.compose(open -> open.batch(requests)).onComplete(result -> {
            for (int i = 0; i < replies.size(); i++) {
                if (result.succeeded()) {
                    replies.get(i).complete(result.result().get(i));
                } else {
                    replies.get(i).fail(result.cause());
                }
            }
        });
    }

    /** Commands issued on one event loop during the current turn. */
    private static final class Batch {
        private List<Request> requests = new ArrayList<>();
        private List<Promise<Response>> replies = new ArrayList<>();
        private boolean scheduled;
    }

    void stop(@Observes ShutdownEvent event) {
        perLoopClients.forEach(Redis::close);
        if (maintenance != null) {
            maintenance.close();
        }
    }
}
