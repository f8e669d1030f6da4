package org.acme.users.routing;

import io.quarkus.narayana.jta.QuarkusTransaction;
import java.util.function.Supplier;

/**
 * Runs a read on the primary as the read-only reader role (datasource {@value ReadWriteRouting#READ_PRIMARY}): for a
 * read the replica cannot serve fresh enough. A transaction gives the query a session of its own (the request's
 * session may already be on the replica); the flag tells ReadWriteRouting which datasource that session gets.
 */
public final class PrimaryReads {

    private static final ThreadLocal<Boolean> ACTIVE = new ThreadLocal<>();

    private PrimaryReads() {
    }

    public static <T> T call(Supplier<T> query) {
        Boolean outer = ACTIVE.get();
        ACTIVE.set(Boolean.TRUE);
        try {
            return QuarkusTransaction.requiringNew().call(query::get);
        } finally {
            if (outer == null) {
                ACTIVE.remove();
            }
        }
    }

    static boolean active() {
        return ACTIVE.get() != null;
    }
}
