package org.acme.users.problem;

import jakarta.persistence.LockTimeoutException;
import jakarta.persistence.OptimisticLockException;
import jakarta.persistence.PessimisticLockException;
import io.vertx.core.VertxException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import org.hibernate.StaleStateException;
import org.hibernate.dialect.lock.OptimisticEntityLockException;

/**
 * What a failure from the database layer (JDBC, or the reactive client of the hot reads) means for the client: a node that cannot be reached (503, retry), a value the
 * database refused (400), a duplicate (409), a transaction that lost a race with another one on the same rows (run it
 * again; 409 when that lost too). The exceptions arrive wrapped (Hibernate, JTA, Agroal), so each question
 * walks the causes, and the suppressed ones: a commit that fails on a dead connection is a RollbackException with the
 * I/O error among its suppressed exceptions.
 */
public final class DatabaseFailures {

    /** unique_violation */
    static final String UNIQUE_VIOLATION = "23505";
    /** SQLState class 22: data exception (a NUL in text, a value out of range) */
    static final String DATA_EXCEPTION_CLASS = "22";
    /**
     * 08xxx: connection exceptions; 57P01-03: admin/crash shutdown, cannot connect now; 53300: too many connections;
     * 25006 read_only_sql_transaction: a write reached a node that is not (yet, or no longer) the leader. Patroni's
     * /primary says 200 once it has taken the leader key and asked PostgreSQL to promote, and PostgreSQL leaves
     * recovery a moment later (seconds on a loaded machine): HAProxy may send writes there first, and they are refused
     * as in a read-only transaction. The leader is being replaced: a 503 to retry, not a fault of the request.
     * 25P03 and 57P05: PostgreSQL ended the session for sitting idle (in a transaction: the writer role's 3 s bound; or
     * at all): the instance was frozen or starved mid-request; nothing of it committed, so a 503 to retry.
     */
    static final Set<String> UNAVAILABLE_STATES = Set.of("57P01", "57P02", "57P03", "53300", "25006", "25P03", "57P05");
    /** 25P03 idle_in_transaction_session_timeout, 57P05 idle_session_timeout: see {@link #neverCommitted}. */
    static final Set<String> SESSION_ENDED_WHILE_IDLE = Set.of("25P03", "57P05");
    /** The JDBC driver's "This connection has been closed": raised before anything is sent. */
    static final String CONNECTION_ALREADY_CLOSED = "08003";
    /** The reactive pool's failure when every connection stayed busy for its connection timeout. */
    static final String REACTIVE_POOL_TIMEOUT = "timeout waiting for connection";
    /** 40001 serialization_failure, 40P01 deadlock_detected, 55P03 lock_not_available: PostgreSQL rolled it back */
    static final Set<String> CONCURRENCY_STATES = Set.of("40001", "40P01", "55P03");

    private DatabaseFailures() {
    }

    /** The node is unreachable or going away: not the request's fault, worth a retry later. */
    public static boolean unavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof SocketTimeoutException) {
                return true;
            }
            String state = stateOf(t);
            if (state != null && (state.startsWith("08") || UNAVAILABLE_STATES.contains(state))) {
                return true;
            }
            // Agroal's pool gives up on acquisition with no SQLState: "Acquisition timeout while waiting for new
            // connection" (a connection that does not open in time), "Sorry, acquisition timeout!" (every connection of
            // the pool busy for the whole acquisition timeout)
            if (t instanceof SQLException && message(t).contains("acquisition timeout")) {
                return true;
            }
            // the reactive client: a connection lost with a query on it, one found closed before its query went out
            // ("Connection is not active now", "... connection has been closed"), a socket reset or closed under it
            // (at connect too: HAProxy resets a connection it cannot pass on), a pool whose connections all stayed
            // busy for its connection timeout
            if (t instanceof ClosedConnectionException || t instanceof SocketException || t instanceof ClosedChannelException
                    || t.getClass().getName().startsWith("io.vertx.") && (message(t).contains("connection is not active")
                            || message(t).contains("connection has been closed")
                            || message(t).contains(REACTIVE_POOL_TIMEOUT))) {
                return true;
            }
            if (t.getClass().getName().equals("org.hibernate.exception.JDBCConnectionException")) {
                return true;
            }
            for (Throwable suppressed : t.getSuppressed()) {
                if (unavailable(suppressed)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The attempt certainly committed nothing, and the session it ran on is gone: PostgreSQL ended the session while
     * it sat idle in its transaction (25P03, the writer role's 3 s bound: the instance was frozen or starved
     * mid-transaction; the server was waiting for the client's next command, so no COMMIT of it had arrived) or idle
     * at all (57P05); or the driver found its connection already closed before sending anything on it (08003, "This
     * connection has been closed": a pooled connection such an end had closed), with no I/O failure beside it that
     * could have been the commit's. A new transaction on another connection may then succeed
     * ({@link org.acme.users.service.WriteRetry}). A connection that broke while the commit was in flight (08006, a
     * socket error, 57P01 answering the COMMIT) is not this: that write may have committed.
     */
    public static boolean neverCommitted(Throwable e) {
        if (anywhere(e, t -> stateOf(t) != null && SESSION_ENDED_WHILE_IDLE.contains(stateOf(t)))) {
            return true;
        }
        return anywhere(e, t -> CONNECTION_ALREADY_CLOSED.equals(stateOf(t)))
                && !anywhere(e, t -> t instanceof IOException
                        || stateOf(t) != null && stateOf(t).startsWith("08") && !CONNECTION_ALREADY_CLOSED.equals(stateOf(t))
                        || "57P01".equals(stateOf(t)) || "57P02".equals(stateOf(t)));
    }

    /**
     * Every connection of a pool stayed busy for the whole acquisition timeout (Agroal: "Sorry, acquisition timeout!"):
     * more requests than connections (the pools are small on purpose: the connection budget), or a node that hangs
     * until HAProxy cuts its sessions. A 503 to retry later, as {@link #unavailable} says; but the node was not found
     * gone, and trying again at once would only wait for the pool again.
     */
    public static boolean poolExhausted(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException && message(t).contains("sorry, acquisition timeout")
                    || t instanceof VertxException && message(t).contains(REACTIVE_POOL_TIMEOUT)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Nothing listened where the connection went (refused): trying again at once only repeats the pool's acquisition
     * wait; HAProxy has already tried the backup.
     */
    public static boolean refused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }

    /** A value the database refused to store (SQLState class 22): the input's fault. */
    public static boolean invalidData(Throwable e) {
        String state = sqlState(e);
        return state != null && state.startsWith(DATA_EXCEPTION_CLASS);
    }

    /** A unique constraint refused the row. */
    public static boolean duplicate(Throwable e) {
        return UNIQUE_VIOLATION.equals(sqlState(e));
    }

    /**
     * The transaction lost a race: PostgreSQL aborted it for another transaction on the same rows (a serialization
     * failure, a deadlock, a lock it may not wait for), or Hibernate found a row it had loaded changed or gone when it
     * flushed (optimistic lock, stale state). Nothing of it committed, and the same request run again in a new
     * transaction meets the rows as the other one left them: the serial answer.
     */
    public static boolean concurrent(Throwable e) {
        return anywhere(e, t -> t instanceof OptimisticLockException || t instanceof PessimisticLockException
                || t instanceof LockTimeoutException || t instanceof StaleStateException
                || t instanceof OptimisticEntityLockException
                || stateOf(t) != null && CONCURRENCY_STATES.contains(stateOf(t)));
    }

    /** For the log: the SQLState, or else the innermost exception's kind (never a value from the request). */
    public static String describe(Throwable e) {
        String state = sqlState(e);
        if (state != null) {
            return "SQLState " + state;
        }
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName();
    }

    /** Whether any cause of E, or any exception suppressed along the way, matches. */
    private static boolean anywhere(Throwable e, Predicate<Throwable> matches) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (matches.test(t)) {
                return true;
            }
            for (Throwable suppressed : t.getSuppressed()) {
                if (anywhere(suppressed, matches)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The first SQLState among the causes, null for none. */
    public static String sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (stateOf(t) != null) {
                return stateOf(t);
            }
        }
        return null;
    }

    /** T's own SQLState: JDBC's, or the reactive client's (PgException). */
    private static String stateOf(Throwable t) {
        if (t instanceof SQLException sql) {
            return sql.getSQLState();
        }
        return t instanceof DatabaseException db ? db.getSqlState() : null;
    }

    private static String message(Throwable t) {
        return String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
    }
}
