package org.acme.users.consistency;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.arc.ClientProxy;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import org.acme.users.consistency.ReadRoute.Reason;
import org.acme.users.problem.DatabaseFailures;
import org.acme.users.reactive.ReactivePools;
import org.acme.users.routing.ReadWriteRouting;
import org.acme.users.service.ReadRetry;
import org.jboss.logging.Logger;

/**
 * Runs the service's reads where {@link ReadRouter} says: on the replica (the read datasource), or on the primary as
 * the reader role; either retried on a broken connection while the heartbeat still finds that node in place. A primary that does not answer sends a read back to the
 * replica, unless the read needs the primary (a token the replica has not applied): then the caller gets the
 * failure, a 503, never an answer older than what the client has seen.
 *
 * <p>These rules are written once, as a Uni, for two drivers: the reactive client ({@link #onEventLoop}: the query runs
 * on the request's event loop; only a token the replica has not applied yet waits on a worker thread) and JDBC
 * ({@link #onWorker}: every step runs on one worker thread when subscribed, and the result is awaited in place).
 * Each attempt names the node it runs on: {@link ReadWriteRouting#READ} or {@link ReadWriteRouting#READ_PRIMARY}.
 */
@ApplicationScoped
public class FreshReads {

    private static final Logger LOG = Logger.getLogger(FreshReads.class);

    @Inject
    ReadRouter router;

    @Inject
    ReadRetry retry;

    @Inject
    RequestConsistency request;

    @Inject
    PrimaryWal primary;

    @Inject
    ReactivePools pools;

    @Inject
    Vertx vertx;

    private final Map<Reason, Counter> reads = new EnumMap<>(Reason.class);

    @Inject
    void metrics(MeterRegistry registry, ReplicaStatus replica) {
        for (Reason reason : Reason.values()) {
            reads.put(reason, Counter.builder("users.reads").description("reads by where they were sent and why")
                    .tag("route", reason.replica ? "replica" : "primary").tag("reason", reason.label).register(registry));
        }
        Gauge.builder("users.replica.lag", replica, r -> {
            long lag = r.latest().lagMillis();
            return lag < 0 ? Double.NaN : lag / 1000.0;
        }).description("age of the replica's newest data (this instance's heartbeat, end to end)").baseUnit("seconds")
                .register(registry);
        Gauge.builder("users.replica.in.read.path", router, r -> r.withoutToken().replica() ? 1 : 0)
                .description("1 while reads without a token go to the replica").register(registry);
    }

    /**
     * A JDBC read on the calling thread, of the datasource it is given ({@link ReadWriteRouting#READ} or
     * {@link ReadWriteRouting#READ_PRIMARY}): the route decides, not a transaction around the caller.
     */
    public <T> T read(Function<String, T> query) {
        return blocking(query, result -> false, ClientProxy.unwrap(request));
    }

    /**
     * A JDBC read of the datasource it is given, on a worker thread (the caller's, an event loop, is left at once). A
     * replica answer that CONFIRM_ON_PRIMARY accepts (e.g. "not found") for a request with a token is asked again on
     * the primary: the answer to the client's own write comes from a node known to have it, even if the replica's apply
     * worker had not finished its commit when its position was read.
     */
    public <T> Uni<T> onWorker(Function<String, T> query, Predicate<T> confirmOnPrimary) {
        RequestConsistency consistency = ClientProxy.unwrap(request); // the request's, taken on its own thread
        return Uni.createFrom().item(() -> blocking(query, confirmOnPrimary, consistency))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    private <T> T blocking(Function<String, T> query, Predicate<T> confirmOnPrimary, RequestConsistency consistency) {
        Driver<T> driver = new Driver<>() {
            @Override
            public Uni<ReadRoute> route() {
                return Uni.createFrom().item(() -> router.route(consistency.token(), consistency));
            }

            @Override
            public Uni<T> on(String datasource) {
                return Uni.createFrom().item(() -> query.apply(datasource));
            }

            @Override
            public Uni<Void> pause(long millis) {
                return retry.blockingPause(millis);
            }
        };
        return run(driver, confirmOnPrimary, consistency).await().indefinitely();
    }

    /** Like {@link #onWorker}, on the reactive pool of the datasource: never blocks the event loop it is called on. */
    public <T> Uni<T> onEventLoop(Function<Pool, Future<T>> query, Predicate<T> confirmOnPrimary) {
        RequestConsistency consistency = ClientProxy.unwrap(request);
        Driver<T> driver = new Driver<>() {
            @Override
            public Uni<ReadRoute> route() {
                Optional<ConsistencyToken> token = consistency.token();
                if (router.decidesAtOnce(token)) {
                    return Uni.createFrom().item(router.route(token, consistency));
                }
                // the token wait (and the primary's position, when the token is beyond what this instance has seen)
                return Uni.createFrom().item(() -> router.route(token, consistency))
                        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
            }

            @Override
            public Uni<T> on(String datasource) {
                return (ReadWriteRouting.READ.equals(datasource) ? pools.read() : pools.readPrimary()).run(query);
            }

            @Override
            public Uni<Void> pause(long millis) {
                return Uni.createFrom().emitter(done -> vertx.setTimer(millis, timer -> done.complete(null)));
            }
        };
        return run(driver, confirmOnPrimary, consistency);
    }

    /** What the rules need of a driver. */
    private interface Driver<T> {
        /** The route of this read, as {@link ReadRouter#route} decides it. */
        Uni<ReadRoute> route();

        /** One attempt on DATASOURCE. */
        Uni<T> on(String datasource);

        /** Before a retry on the replica. */
        Uni<Void> pause(long millis);
    }

    private <T> Uni<T> run(Driver<T> driver, Predicate<T> confirmOnPrimary, RequestConsistency consistency) {
        return driver.route().chain(route -> {
            if (route.replica()) {
                // retried on the replica only while the heartbeat keeps it in the read path
                Uni<T> onReplica = retry.read(() -> driver.on(ReadWriteRouting.READ), driver::pause,
                        () -> router.withoutToken().replica()).chain(result -> {
                    if (consistency.token().isPresent() && confirmOnPrimary.test(result)) {
                        // the replica has applied the token: if the primary does not answer, its answer stands
                        return onPrimary(driver).onFailure(DatabaseFailures::unavailable).recoverWithItem(result);
                    }
                    return Uni.createFrom().item(result);
                }).map(result -> served(consistency, route, result));
                return onReplica.onFailure(e -> DatabaseFailures.unavailable(e) && !router.withoutToken().replica())
                        .recoverWithUni(e -> {
                            // the replica stopped answering while this read waited on it (a frozen replica holds every
                            // connection of its pool until the socket timeout) and the heartbeat has since taken it
                            // out of the read path: the primary has all the replica had, so any token holds there
                            ReadRoute now = router.withoutToken();
                            return onPrimary(driver).map(result -> served(consistency, now, result));
                        });
            }
            if (route.strict() && primary.knownDown()) {
                // the heartbeat found the primary gone: do not make the client wait for the pool to find out again
                consistency.routed(route);
                return Uni.createFrom().failure(new TokenNotReachedException(null));
            }
            return onPrimary(driver).map(result -> served(consistency, route, result))
                    .onFailure(DatabaseFailures::unavailable).recoverWithUni(e -> {
                        if (route.strict()) {
                            consistency.routed(route);
                            return Uni.createFrom().failure(new TokenNotReachedException(e));
                        }
                        if (DatabaseFailures.poolExhausted(e) && primary.reachable()) {
                            // the primary is busy, not gone (its heartbeat still gets through): a 503, not the
                            // replica's answer past the staleness bound
                            return Uni.createFrom().failure(e);
                        }
                        // the primary went away since the heartbeat last reached it, or stopped answering while this
                        // read waited for one of its connections (a frozen leader holds them all): the replica keeps
                        // reads working
                        return onReplica(driver).map(result -> served(consistency, ReadRoute.of(Reason.PRIMARY_DOWN), result));
                    });
        });
    }

    /**
     * A read on the primary, run again on a fresh connection while the heartbeat still reaches the primary: a pooled
     * connection that breaks under a read (PostgreSQL ended its session, the pool's idle timer closed it as the read
     * took it) is no dead primary, and a read with a token has no other node to go to: without the retry it is a 503.
     */
    private <T> Uni<T> onPrimary(Driver<T> driver) {
        return retry.read(() -> driver.on(ReadWriteRouting.READ_PRIMARY), driver::pause, primary::reachable);
    }

    private <T> Uni<T> onReplica(Driver<T> driver) {
        return retry.read(() -> driver.on(ReadWriteRouting.READ), driver::pause);
    }

    private <T> T served(RequestConsistency consistency, ReadRoute route, T result) {
        // where one request's read went, with its id (MDC): quarkus.log.category."org.acme.users.consistency".level=DEBUG
        LOG.debugf("read served by the %s (%s)", route.replica() ? "replica" : "primary", route.reason().label);
        consistency.routed(route);
        reads.get(route.reason()).increment();
        return result;
    }
}
