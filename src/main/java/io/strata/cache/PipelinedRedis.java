package io.strata.cache;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.inject.Singleton;
import jakarta.enterprise.event.Observes;

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
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
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
 */
@Singleton
public class PipelinedRedis {

    private final Redis pooled;
    private final List<Redis> perLoopClients = new CopyOnWriteArrayList<>();
    private final EventLoopConnections<RedisConnection> connections;

    public PipelinedRedis(Redis pooled, Vertx vertx, TlsConfigurationRegistry tls, ProxyConfigurationRegistry proxies) {
        this.pooled = pooled;
        RedisConfig config = ConfigProvider.getConfig().unwrap(SmallRyeConfig.class).getConfigMapping(RedisConfig.class);
        ThreadLocal<Redis> loopClient = ThreadLocal.withInitial(() -> {
            Redis client = VertxRedisClientFactory.create(RedisConfig.DEFAULT_CLIENT_NAME, vertx,
                    config.clients().get(RedisConfig.DEFAULT_CLIENT_NAME), tls, proxies);
            perLoopClients.add(client);
            return client;
        });
        this.connections = new EventLoopConnections<>(() -> loopClient.get().connect(), (connection, broken) -> {
            connection.exceptionHandler(failure -> broken.run());
            connection.endHandler(ended -> broken.run());
        });
    }

    /** Sends the command when subscribed; a null reply is an item of null. */
    public Uni<Response> send(Request request) {
        return VertxFutures.uni(() -> sendNow(request));
    }

    /** Sends the command now. */
    public Future<Response> sendNow(Request request) {
        Future<RedisConnection> connection = connections.current();
        if (connection == null) {
            return pooled.send(request);
        }
        return connection.compose(open -> open.send(request));
    }

    void stop(@Observes ShutdownEvent event) {
        perLoopClients.forEach(Redis::close);
    }
}
