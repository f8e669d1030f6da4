package org.acme.users.consistency;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.acme.users.consistency.ReadRoute.Reason;
import org.acme.users.problem.DatabaseFailures;
import org.acme.users.routing.PrimaryReads;
import org.acme.users.service.ReadRetry;

/**
 * Runs the service's reads where {@link ReadRouter} says: on the replica (the read datasource, retried on broken
 * connections), or on the primary as the reader role. A primary that does not answer sends a read back to the
 * replica, unless the read needs the primary (a token the replica has not applied): then the caller gets the
 * failure, a 503, never an answer older than what the client has seen.
 */
@ApplicationScoped
public class FreshReads {

    @Inject
    ReadRouter router;

    @Inject
    ReadRetry retry;

    @Inject
    RequestConsistency request;

    @Inject
    PrimaryWal primary;

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

    public <T> T read(Supplier<T> query) {
        return read(query, result -> false);
    }

    /**
     * Like {@link #read(Supplier)}; a replica answer that CONFIRM_ON_PRIMARY accepts (e.g. "not found") for a request
     * with a token is asked again on the primary: the answer to the client's own write comes from a node known to
     * have it, even if the replica's apply worker had not finished its commit when its position was read.
     */
    public <T> T read(Supplier<T> query, Predicate<T> confirmOnPrimary) {
        ReadRoute route = router.route(request.token(), request);
        if (route.replica()) {
            T result = retry.read(query);
            if (request.token().isPresent() && confirmOnPrimary.test(result)) {
                try {
                    result = PrimaryReads.call(query);
                } catch (RuntimeException e) {
                    if (!DatabaseFailures.unavailable(e)) {
                        throw e;
                    }
                    // the replica has applied the token: its answer stands
                }
            }
            return served(route, result);
        }
        if (route.strict() && primary.knownDown()) {
            // the heartbeat found the primary gone: do not make the client wait for the pool to find out again
            request.routed(route);
            throw new TokenNotReachedException(null);
        }
        try {
            return served(route, PrimaryReads.call(query));
        } catch (RuntimeException e) {
            if (!DatabaseFailures.unavailable(e)) {
                throw e;
            }
            if (route.strict()) {
                request.routed(route);
                throw new TokenNotReachedException(e);
            }
            if (DatabaseFailures.poolExhausted(e)) {
                // the primary is busy, not gone: a 503, not the replica's answer past the staleness bound
                throw e;
            }
            // the primary went away since the heartbeat last reached it: the replica keeps reads working
            return served(ReadRoute.of(Reason.PRIMARY_DOWN), retry.read(query));
        }
    }

    private <T> T served(ReadRoute route, T result) {
        request.routed(route);
        reads.get(route.reason()).increment();
        return result;
    }
}
