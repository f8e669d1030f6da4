package org.acme.users.reactive;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.AgroalConnectionFactoryConfiguration;
import io.agroal.api.security.SimplePassword;
import io.quarkus.agroal.DataSource;
import io.netty.util.concurrent.EventExecutor;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.core.impl.VertxInternal;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.impl.PgPoolOptions;
import io.vertx.sqlclient.DatabaseException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.acme.users.config.UsersConfig;
import org.acme.users.problem.DatabaseFailures;
import org.acme.users.routing.ReadWriteRouting;

/**
 * The read path's reactive pools (the Vert.x PostgreSQL client): the hot reads run on the event loop that took the
 * request, no worker thread, no blocking socket. They reach the same places as the JDBC datasources {@code read} and
 * {@code read-primary}: URL, role, password and the connect and socket timeouts are taken from those datasources'
 * settings, one place for them (HAProxy :5001 and :5000 in the runner and in compose).
 *
 * <p>A JDBC URL may list several hosts (without HAProxy: {@code jdbc:postgresql://replica:5432,primary:5432/users}),
 * which the JDBC driver tries in order for each new connection. The Vert.x client has no such failover (a list of hosts
 * is round robin), so there is one pool per host, and a query that cannot connect to one host goes to the next.
 *
 * <p>Each event loop reads through pools of its own, a {@link Lane}: a connection lives on the event loop that opened
 * it, so a query sent from another one is handed over to that thread and its answer handed back, each hand-over a
 * wake-up of a sleeping thread. With one pool for the instance that was most queries (a fifth of the event loops' time
 * under load went to those wake-ups alone, by a JFR profile); with a lane per event loop a read stays on the thread that
 * took the request. The budget's connections ({@code users.read.reactive-pool-size}) are shared out among
 * min(event loops, that size) lanes: the instance holds no more connections than before, and when there are more event
 * loops than connections, event loops share lanes.
 *
 * <p>The connections are pipelined: a connection takes the next query before the last one's answer (up to the
 * client's pipelining limit, 256), so a lane of one connection never makes a read wait for the pool, where its share
 * of the budget alone would (a read queued behind a busy lane while the process was frozen ran out the pool's wait at
 * the thaw: a 503, compose freeze-service). PostgreSQL answers a connection's queries in order, each on its own.
 */
@ApplicationScoped
public class ReactivePools {

    private static final Pattern JDBC_URL = Pattern.compile("jdbc:postgresql://([^/?]+)/([^?]+)(\\?.*)?");

    @Inject
    Vertx vertx;

    @Inject
    UsersConfig config;

    @Inject
    @DataSource(ReadWriteRouting.READ)
    AgroalDataSource read;

    @Inject
    @DataSource(ReadWriteRouting.READ_PRIMARY)
    AgroalDataSource readPrimary;

    /** The pools of one or more event loops: the replica's and the primary's (for reads the replica cannot serve). */
    record Lane(Hosts read, Hosts readPrimary) {
    }

    // made with the bean (on first use); a Vert.x pool opens no connection until a query needs one, like the JDBC
    // pools (min-size 0): an instance starts without a database connection
    private Lane[] lanes;
    /** Each event loop's lane, given out in turn as event loops first ask. */
    private final Map<Thread, Lane> laneOfEventLoop = new ConcurrentHashMap<>();
    private final AtomicInteger nextLane = new AtomicInteger();

    @PostConstruct
    void open() {
        int[] sizes = laneSizes(eventLoops(), config.read().reactivePoolSize());
        lanes = new Lane[sizes.length];
        for (int lane = 0; lane < sizes.length; lane++) {
            lanes[lane] = new Lane(open(ReadWriteRouting.READ, read, lane, sizes[lane]),
                    open(ReadWriteRouting.READ_PRIMARY, readPrimary, lane, sizes[lane]));
        }
    }

    /**
     * The pool size of each lane: min(EVENT_LOOPS, CONNECTIONS) lanes sharing CONNECTIONS out, the first ones one more
     * when they do not divide evenly; one lane of one connection at least.
     */
    static int[] laneSizes(int eventLoops, int connections) {
        int count = Math.max(1, Math.min(eventLoops, connections));
        int[] sizes = new int[count];
        for (int lane = 0; lane < count; lane++) {
            sizes[lane] = Math.max(1, connections / count + (lane < connections % count ? 1 : 0));
        }
        return sizes;
    }

    /** The replica (with the primary as HAProxy's backup), as the reader role: the calling event loop's pools. */
    public Hosts read() {
        return lane().read();
    }

    /** The primary, as the read-only reader role: the calling event loop's pools. */
    public Hosts readPrimary() {
        return lane().readPrimary();
    }

    /** The calling event loop's lane; off an event loop (a read resumed after a token wait), the first one. */
    private Lane lane() {
        if (!Context.isOnEventLoopThread()) {
            return lanes[0];
        }
        Thread eventLoop = Thread.currentThread();
        Lane lane = laneOfEventLoop.get(eventLoop);
        return lane != null ? lane : laneOfEventLoop.computeIfAbsent(eventLoop,
                loop -> lanes[Math.floorMod(nextLane.getAndIncrement(), lanes.length)]);
    }

    private int eventLoops() {
        int count = 0;
        for (EventExecutor ignored : ((VertxInternal) vertx).getEventLoopGroup()) {
            count++;
        }
        return count;
    }

    /** The pools of one datasource, one per host of its URL, in the URL's order. */
    public static final class Hosts {

        private final List<Pool> pools;
        private final Duration answerWithin;

        Hosts(List<Pool> pools, Duration answerWithin) {
            this.pools = List.copyOf(pools);
            this.answerWithin = answerWithin;
        }

        /**
         * QUERY on the first host that takes a connection (a refused or timed-out connect moves to the next). A failure
         * of the connection itself leaves as JDBC says it: {@link #asConnectionFailure}. A query without an answer
         * within the socket timeout fails as a lost connection: the client closes a connection that reads nothing for that
         * long, but (Vert.x 4.5) does not always fail the query that was waiting on it, so a frozen node would hold the
         * request forever.
         */
        public <T> Uni<T> run(Function<Pool, Future<T>> query) {
            Uni<T> run = on(0, query);
            if (!answerWithin.isZero()) {
                run = run.ifNoItem().after(answerWithin).failWith(() -> new VertxException(
                        "no answer from the database within " + answerWithin.toMillis() + " ms", true));
            }
            return run.onFailure(ReactivePools::lostConnection).transform(ReactivePools::asConnectionFailure);
        }

        private <T> Uni<T> on(int host, Function<Pool, Future<T>> query) {
            Uni<T> attempt = Uni.createFrom().completionStage(() -> query.apply(pools.get(host)).toCompletionStage());
            if (host == pools.size() - 1) {
                return attempt;
            }
            return attempt.onFailure(DatabaseFailures::refused).recoverWithUni(e -> on(host + 1, query));
        }

        void close() {
            pools.forEach(Pool::close);
        }
    }

    /**
     * Whether FAILURE is the connection's, not the query's: anything but PostgreSQL's own error (which has its SQLState)
     * and the pool's wait for a free connection (a busy pool, told apart by DatabaseFailures). The client reports a lost
     * connection in many shapes: a socket reset or closed (IOException), "Connection is not active now" (a bare
     * Throwable), "connection has been closed" (VertxException), ClosedConnectionException, a Netty channel error.
     */
    static boolean lostConnection(Throwable failure) {
        if (failure instanceof DatabaseException || DatabaseFailures.poolExhausted(failure)) {
            return false;
        }
        return failure instanceof IOException || failure instanceof VertxException || !(failure instanceof Exception)
                || failure.getClass().getName().startsWith("io.netty.");
    }

    /**
     * A lost connection as the JDBC driver reports one: SQLState 08006 (connection failure), the client's failure as its
     * cause (so a refused connect is still seen as refused). One vocabulary for both drivers' failures.
     */
    static SQLException asConnectionFailure(Throwable failure) {
        return new SQLTransientConnectionException("the reactive client lost its connection: " + failure, "08006",
                failure);
    }

    private Hosts open(String name, AgroalDataSource dataSource, int lane, int size) {
        AgroalConnectionFactoryConfiguration factory = dataSource.getConfiguration().connectionPoolConfiguration()
                .connectionFactoryConfiguration();
        Matcher url = JDBC_URL.matcher(factory.jdbcUrl());
        if (!url.matches()) {
            throw new IllegalStateException("datasource " + name + ": not a PostgreSQL JDBC URL: " + factory.jdbcUrl());
        }
        Properties jdbc = new Properties();
        jdbc.putAll(factory.jdbcProperties());
        String password = null;
        for (Object credential : factory.credentials()) {
            if (credential instanceof SimplePassword simple) {
                password = simple.getWord();
            }
        }
        int socketTimeout = seconds(jdbc, "socketTimeout", 5);
        // a pool waits for a free connection as long as Agroal's acquisition timeout (2 s), then fails the query.
        // It retires a connection idle for a while itself, before the socket timeout below can close it: a socket
        // closed by its idle timer at the moment a read takes it from the pool fails that read.
        PoolOptions options = new PoolOptions().setName("reactive-" + name + "-" + lane)
                .setMaxSize(size)
                .setConnectionTimeout(2).setConnectionTimeoutUnit(TimeUnit.SECONDS)
                .setIdleTimeout(socketTimeout > 0 ? Math.max(1, socketTimeout * 1000 - 2000) : 120_000)
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS).setPoolCleanerPeriod(500)
                .setMaxLifetime(5).setMaxLifetimeUnit(TimeUnit.MINUTES);
        // PgPoolOptions is the only way to ask the Vert.x 4.5 PostgreSQL pool for pipelined connections
        PoolOptions poolOptions = new PgPoolOptions(options).setPipelined(true);
        List<Pool> pools = new ArrayList<>();
        for (String hostPort : url.group(1).split(",")) {
            int colon = hostPort.lastIndexOf(':');
            PgConnectOptions connect = new PgConnectOptions()
                    .setHost(colon < 0 ? hostPort : hostPort.substring(0, colon))
                    .setPort(colon < 0 ? 5432 : Integer.parseInt(hostPort.substring(colon + 1)))
                    .setDatabase(url.group(2))
                    .setUser(factory.principal() == null ? null : factory.principal().getName())
                    .setPassword(password)
                    .setCachePreparedStatements(true)
                    // pg_stat_activity tells them from the JDBC pools' connections
                    .setProperties(Map.of("application_name",
                            jdbc.getProperty("ApplicationName", config.instanceName()) + "-reactive"));
            connect.setTcpKeepAlive(Boolean.parseBoolean(jdbc.getProperty("tcpKeepAlive", "true")));
            connect.setConnectTimeout((int) TimeUnit.SECONDS.toMillis(seconds(jdbc, "connectTimeout", 2)));
            // the JDBC socketTimeout: a node that stops answering fails the query instead of holding it (and its
            // connection) until HAProxy cuts the session
            if (socketTimeout > 0) {
                connect.setReadIdleTimeout(socketTimeout);
                connect.setIdleTimeoutUnit(TimeUnit.SECONDS);
            }
            pools.add(PgBuilder.pool().with(poolOptions).connectingTo(connect).using(vertx).build());
        }
        return new Hosts(pools, Duration.ofSeconds(socketTimeout));
    }

    private static int seconds(Properties jdbc, String name, int otherwise) {
        String value = jdbc.getProperty(name);
        return value == null || value.isBlank() ? otherwise : Integer.parseInt(value.strip());
    }

    @PreDestroy
    void close() {
        if (lanes != null) {
            for (Lane lane : lanes) {
                lane.read().close();
                lane.readPrimary().close();
            }
        }
    }
}
