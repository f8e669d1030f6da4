package org.acme.users.consistency;

/**
 * Where one read goes and why. {@code strict}: only the primary may serve it (the replica has not applied the
 * request's token), so a primary that does not answer makes it a 503, never an older answer.
 */
public record ReadRoute(Reason reason, boolean strict) {

    public enum Reason {
        /** the replica's data is within the staleness bound */
        FRESH(true, "fresh"),
        /** the replica has applied the request's token (and is within the bound) */
        TOKEN_REACHED(true, "token-reached"),
        /** the primary does not answer: the replica serves whatever its staleness (reported, not enforced) */
        PRIMARY_DOWN(true, "primary-down"),
        /** the replica had not applied the request's token after the wait */
        TOKEN(false, "token"),
        /** the replica's data is older than the staleness bound */
        STALE(false, "stale"),
        /** the read path does not reach the replica */
        REPLICA_DOWN(false, "replica-down");

        public final boolean replica;
        public final String label;

        Reason(boolean replica, String label) {
            this.replica = replica;
            this.label = label;
        }
    }

    public static ReadRoute of(Reason reason) {
        return new ReadRoute(reason, false);
    }

    public boolean replica() {
        return reason.replica;
    }

    public String target() {
        return reason.replica ? "replica" : "primary";
    }

    /** As the X-Read-Route header shows it: {@code replica; reason=fresh}. */
    @Override
    public String toString() {
        return target() + "; reason=" + reason.label;
    }
}
