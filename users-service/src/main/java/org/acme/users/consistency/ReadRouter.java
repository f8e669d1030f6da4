package org.acme.users.consistency;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import org.acme.users.consistency.ReadRoute.Reason;
import org.jboss.logging.Logger;
import org.acme.users.config.UsersConfig;

/**
 * The rule for every read (docs/architecture.md, "Read consistency"):
 * <ol>
 * <li>with a token the replica has applied, or reaches within the token wait: the replica; otherwise only the
 * primary (strict: a primary that does not answer is a 503). A token beyond anything the primary has written is
 * ignored.</li>
 * <li>the primary does not answer: the replica, whatever its staleness (reported, not enforced);</li>
 * <li>the read path does not reach the replica, or its data is older than the bound: the primary;</li>
 * <li>otherwise the replica.</li>
 * </ol>
 */
@ApplicationScoped
public class ReadRouter {

    private static final Logger LOG = Logger.getLogger(ReadRouter.class);

    @Inject
    ReplicaStatus replica;

    @Inject
    PrimaryWal primary;

    @Inject
    UsersConfig config;

    private Reason logged; // prober thread only

    /**
     * Whether {@link #route} decides TOKEN's route without waiting or asking the primary: no token, or one the replica
     * has applied. Otherwise it may block up to the token wait (and ask the primary for its position).
     */
    public boolean decidesAtOnce(Optional<ConsistencyToken> token) {
        return token.isEmpty() || replica.latest().covers(token.get());
    }

    /** The route of a read with TOKEN (may wait up to the token wait); marks an ignored token on REQUEST. */
    public ReadRoute route(Optional<ConsistencyToken> token, RequestConsistency request) {
        if (token.isEmpty()) {
            return withoutToken(Reason.FRESH);
        }
        ConsistencyToken position = token.get();
        if (replica.latest().covers(position)) {
            return withoutToken(Reason.TOKEN_REACHED);
        }
        if (primary.validate(position) == PrimaryWal.Validity.AHEAD_OF_PRIMARY) {
            request.ignoreToken();
            return withoutToken(Reason.FRESH);
        }
        try {
            if (replica.awaitApplied(position, System.nanoTime() + config.read().tokenWait().toNanos())) {
                return withoutToken(Reason.TOKEN_REACHED);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new ReadRoute(Reason.TOKEN, true);
    }

    /** Where a read without a token goes now: what /db, the metrics and the log show. */
    public ReadRoute withoutToken() {
        return withoutToken(Reason.FRESH);
    }

    private ReadRoute withoutToken(Reason whenFresh) {
        if (!primary.reachable()) {
            return ReadRoute.of(Reason.PRIMARY_DOWN);
        }
        if (!replica.latest().replica()) {
            return ReadRoute.of(Reason.REPLICA_DOWN);
        }
        return ReadRoute.of(replica.fresh() ? whenFresh : Reason.STALE);
    }

    /** After every probe: says once in the log when reads move, and why. */
    public void logChange() {
        ReadRoute now = withoutToken();
        if (now.reason() == logged) {
            return;
        }
        ReplicaStatus.Sample sample = replica.latest();
        switch (now.reason()) {
            case FRESH -> LOG.infof("reads: on the replica %s, its data %d ms old (bound %d ms)", sample.node(),
                    sample.lagMillis(), config.read().maxStaleness().toMillis());
            case PRIMARY_DOWN -> LOG.warnf("reads: on the replica whatever its staleness: the primary does not answer");
            default -> LOG.warnf("reads: on the primary: %s", replica.why(sample));
        }
        logged = now.reason();
    }
}
