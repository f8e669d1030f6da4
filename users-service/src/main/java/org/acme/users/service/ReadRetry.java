package org.acme.users.service;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.acme.users.problem.DatabaseFailures;

/**
 * Reads are idempotent, so a read that failed on a dead pooled connection (the replica was killed, or HAProxy
 * cut its sessions when it marked it down) runs again on a fresh one, which HAProxy sends to the node that is
 * up. The caller sees a slower answer instead of a 503. A refused connection is not retried: nothing listens where
 * the read path leads (HAProxy already tried the backup), and each try costs the pool's acquisition wait. Nor is a pool
 * whose connections all stayed busy (its acquisition timeout): another try would wait as long again, past nginx's read
 * timeout; the client gets the 503 and retries later.
 *
 * <p>One rule for both drivers: a JDBC read is a Uni that runs on the caller's thread when subscribed (and its pause is
 * a sleep), so {@link #read(Supplier)} is the same loop awaited in place.
 */
@ApplicationScoped
public class ReadRetry {

    /** A read that meets a broken connection is tried again, at most this many times in all. */
    static final int READ_ATTEMPTS = 4;
    /** Before a retry: time for the pool to close its other idle connections (it does so asynchronously). */
    static final long RETRY_PAUSE_MILLIS = 20;

    @Inject
    DatabaseNodes nodes;

    /** A blocking read, retried on this thread. */
    public <T> T read(Supplier<T> query) {
        return read(() -> Uni.createFrom().item(query), this::blockingPause).await().indefinitely();
    }

    /** ATTEMPT, subscribed again after PAUSE (milliseconds) while it fails on a broken connection. */
    public <T> Uni<T> read(Supplier<Uni<T>> attempt, LongFunction<Uni<Void>> pause) {
        return read(attempt, pause, () -> true);
    }

    /**
     * Like {@link #read(Supplier, LongFunction)}, while WORTH_RETRYING also holds after a failure (e.g. the node is
     * still the one reads go to); otherwise the failure is the caller's at once.
     */
    public <T> Uni<T> read(Supplier<Uni<T>> attempt, LongFunction<Uni<Void>> pause, BooleanSupplier worthRetrying) {
        return attempt(1, attempt, pause, worthRetrying);
    }

    private <T> Uni<T> attempt(int number, Supplier<Uni<T>> attempt, LongFunction<Uni<Void>> pause,
            BooleanSupplier worthRetrying) {
        return Uni.createFrom().deferred(attempt::get)
                .onFailure(e -> number < READ_ATTEMPTS && retriable(e) && worthRetrying.getAsBoolean())
                .recoverWithUni(e -> pause.apply(RETRY_PAUSE_MILLIS * number)
                        .chain(() -> attempt(number + 1, attempt, pause, worthRetrying)));
    }

    private static boolean retriable(Throwable e) {
        return DatabaseFailures.unavailable(e) && !DatabaseFailures.refused(e) && !DatabaseFailures.poolExhausted(e);
    }

    /**
     * The JDBC driver's pause, on the caller's thread: the pools' other idle connections most likely lead to the same dead
     * node; they are closed, and the thread sleeps.
     */
    public Uni<Void> blockingPause(long millis) {
        return Uni.createFrom().item(() -> {
            nodes.dropIdleConnections();
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }).replaceWithVoid();
    }
}
