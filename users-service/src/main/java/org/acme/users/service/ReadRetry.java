package org.acme.users.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.function.Supplier;
import org.acme.users.problem.DatabaseFailures;

/**
 * Reads are idempotent, so a read that failed on a dead pooled connection (the replica was killed, or HAProxy
 * cut its sessions when it marked it down) runs again on a fresh one, which HAProxy sends to the node that is
 * up. The caller sees a slower answer instead of a 503. A refused connection is not retried: nothing listens where
 * the read path leads (HAProxy already tried the backup), and each try costs the pool's acquisition wait. Nor is a pool
 * whose connections all stayed busy (its acquisition timeout): another try would wait as long again, past nginx's read
 * timeout; the client gets the 503 and retries later.
 */
@ApplicationScoped
public class ReadRetry {

    /** A read that meets a broken connection is tried again, at most this many times in all. */
    static final int READ_ATTEMPTS = 4;
    /** Before a retry: time for the pool to close its other idle connections (it does so asynchronously). */
    static final long RETRY_PAUSE_MILLIS = 20;

    @Inject
    DatabaseNodes nodes;

    public <T> T read(Supplier<T> query) {
        for (int attempt = 1;; attempt++) {
            try {
                return query.get();
            } catch (RuntimeException e) {
                if (attempt == READ_ATTEMPTS || !DatabaseFailures.unavailable(e) || DatabaseFailures.refused(e)
                        || DatabaseFailures.poolExhausted(e)) {
                    throw e;
                }
                nodes.dropIdleConnections();
                pause(RETRY_PAUSE_MILLIS * attempt);
            }
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
