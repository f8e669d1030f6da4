package org.acme.users.problem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.arc.ArcUndeclaredThrowableException;
import io.vertx.core.VertxException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import jakarta.persistence.OptimisticLockException;
import jakarta.persistence.PessimisticLockException;
import jakarta.transaction.RollbackException;
import java.io.EOFException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import org.hibernate.StaleObjectStateException;
import org.hibernate.StaleStateException;
import org.hibernate.exception.ConstraintViolationException;
import org.hibernate.exception.GenericJDBCException;
import org.hibernate.exception.JDBCConnectionException;
import org.hibernate.exception.LockAcquisitionException;
import org.junit.jupiter.api.Test;

/**
 * The classification of database failures, without a database: the shapes the failover tests meet (a refused
 * connection, a socket that timed out, a commit on a dead connection, the pool giving up), each wrapped the way
 * Hibernate, JTA and Agroal wrap them; and the races a write can lose (run once more, then 409, never 500).
 */
class DatabaseFailuresTest {

    /** 25006 too: a write that reached a member Patroni already reports as leader while PostgreSQL still promotes it. */
    @Test
    void theReactiveClientsFailuresAreClassifiedAsJdbcsAre() {
        // a connection lost with a query on it, queries not yet sent on it: the node is unavailable, retried
        assertTrue(DatabaseFailures.unavailable(ClosedConnectionException.INSTANCE));
        VertxException unsent = new VertxException("Pending requests failed to be sent due to connection has been closed.", true);
        assertTrue(DatabaseFailures.unavailable(new java.util.concurrent.CompletionException(unsent)));
        // every connection of the reactive pool busy for its connection timeout: a 503, not retried at once
        VertxException busy = new VertxException("Timeout waiting for connection", true);
        assertTrue(DatabaseFailures.unavailable(busy));
        assertTrue(DatabaseFailures.poolExhausted(busy));
        assertFalse(DatabaseFailures.poolExhausted(ClosedConnectionException.INSTANCE));
        // PostgreSQL's own errors, by SQLState: shutting down (unavailable), a duplicate, a deadlock, bad data
        assertTrue(DatabaseFailures.unavailable(new PgException("terminating connection", "FATAL", "57P01", null)));
        assertEquals("23505", DatabaseFailures.sqlState(new PgException("duplicate", "ERROR", "23505", null)));
        assertTrue(DatabaseFailures.concurrent(new PgException("deadlock", "ERROR", "40P01", null)));
        assertTrue(DatabaseFailures.invalidData(new PgException("bad", "ERROR", "22021", null)));
        assertFalse(DatabaseFailures.unavailable(new PgException("syntax", "ERROR", "42601", null)));
        assertFalse(DatabaseFailures.unavailable(new VertxException("something else", true)));
        // seen in CI: a pooled connection found closed (a bare Throwable, wrapped by ReactivePools), and HAProxy
        // resetting a connection it could not pass on to a node, at connect
        assertTrue(DatabaseFailures.unavailable(new IllegalStateException("reactive query failed",
                new io.vertx.core.impl.NoStackTraceThrowable("Connection is not active now, current status: CLOSED"))));
        java.net.SocketException reset = new java.net.SocketException("Connection reset by peer");
        assertTrue(DatabaseFailures.unavailable(reset));
        assertFalse(DatabaseFailures.refused(reset), "a reset is retried: the next connection may reach a node");
        assertTrue(DatabaseFailures.unavailable(new java.nio.channels.ClosedChannelException()));
    }

    @Test
    void connectionStatesAreUnavailable() {
        for (String state : new String[] {"08000", "08001", "08003", "08006", "57P01", "57P02", "57P03", "53300", "25006", "25P03", "57P05"}) {
            assertTrue(DatabaseFailures.unavailable(new SQLException("x", state)), state);
            assertTrue(DatabaseFailures.unavailable(new RuntimeException(new SQLException("x", state))), state + " wrapped");
        }
    }

    @Test
    void otherStatesAreNotUnavailable() {
        for (String state : new String[] {"23505", "22021", "42501", "42P01", "40001"}) {
            assertFalse(DatabaseFailures.unavailable(new SQLException("x", state)), state);
        }
        assertFalse(DatabaseFailures.unavailable(new IllegalStateException("a bug")));
        assertFalse(DatabaseFailures.unavailable(null));
    }

    @Test
    void socketFailuresAnywhereInTheCausesAreUnavailable() {
        assertTrue(DatabaseFailures.unavailable(new RuntimeException(new SQLException("io", new ConnectException("refused")))));
        assertTrue(DatabaseFailures.unavailable(new RuntimeException(new SocketTimeoutException("read timed out"))));
        assertTrue(DatabaseFailures.unavailable(new JDBCConnectionException("lost", new SQLException("io"))));
    }

    @Test
    void theAgroalAcquisitionTimeoutHasNoStateButIsUnavailable() {
        assertTrue(DatabaseFailures.unavailable(new SQLException("Acquisition timeout while waiting for new connection")));
        // Agroal 3: every connection of the pool busy for the whole acquisition timeout (ConnectionBudgetIT met it as a
        // 500 under 300 clients), as Hibernate wraps it
        GenericJDBCException busy = new GenericJDBCException("Unable to acquire JDBC Connection",
                new SQLException("Sorry, acquisition timeout!"));
        assertTrue(DatabaseFailures.unavailable(busy));
        // ... and told apart: a busy pool is not retried at once, nor taken for a primary that went away
        assertTrue(DatabaseFailures.poolExhausted(busy));
        assertFalse(DatabaseFailures.poolExhausted(new SQLException("Acquisition timeout while waiting for new connection")));
        assertFalse(DatabaseFailures.poolExhausted(new SQLException("io", "08006")));
    }

    @Test
    void aCommitOnADeadConnectionCarriesTheIoErrorAsSuppressed() {
        RollbackException commit = new RollbackException("ARJUNA016053: Could not commit transaction.");
        commit.addSuppressed(new SQLException("An I/O error occurred while sending to the backend.", "08006",
                new EOFException()));
        assertTrue(DatabaseFailures.unavailable(new RuntimeException(commit)));
        assertFalse(DatabaseFailures.unavailable(new RuntimeException(new RollbackException("marked rollback only"))));
    }

    @Test
    void onlyARefusedConnectionIsRefused() {
        assertTrue(DatabaseFailures.refused(new RuntimeException(new SQLException("x", "08001", new ConnectException()))));
        assertFalse(DatabaseFailures.refused(new SQLException("x", "08006", new SocketTimeoutException())));
    }

    @Test
    void duplicatesAndBadValuesAreTheClientsFault() {
        SQLException unique = new SQLException("duplicate key value violates unique constraint \"app_user_email_key\"", "23505");
        assertTrue(DatabaseFailures.duplicate(new ConstraintViolationException("dup", unique, "app_user_email_key")));
        assertFalse(DatabaseFailures.unavailable(unique));
        assertTrue(DatabaseFailures.invalidData(new RuntimeException(new SQLException("invalid byte sequence", "22021"))));
        assertFalse(DatabaseFailures.invalidData(unique));
        assertEquals("23505", DatabaseFailures.sqlState(new RuntimeException(unique)));
        assertNull(DatabaseFailures.sqlState(new RuntimeException("no SQL here")));
    }

    @Test
    void abortsForAConcurrentTransactionAreConcurrent() {
        // 40001 serialization failure, 40P01 deadlock, 55P03 lock not available: PostgreSQL rolled the transaction back
        for (String state : new String[] {"40001", "40P01", "55P03"}) {
            SQLException sql = new SQLException("x", state);
            assertTrue(DatabaseFailures.concurrent(sql), state);
            assertTrue(DatabaseFailures.concurrent(new LockAcquisitionException("deadlock", sql)), state + " as Hibernate's");
            assertTrue(DatabaseFailures.concurrent(new RuntimeException(new PessimisticLockException(
                    new LockAcquisitionException("lock", sql)))), state + " as JPA's");
            assertFalse(DatabaseFailures.unavailable(sql), state + " is not an unreachable node");
            assertFalse(DatabaseFailures.duplicate(sql), state + " is no duplicate");
            assertEquals("SQLState " + state, DatabaseFailures.describe(new RuntimeException(sql)));
        }
    }

    @Test
    void aRowGoneOrChangedAtFlushIsConcurrent() {
        // issue #20: a DELETE of a row another transaction removed after it was loaded, found at commit
        StaleStateException rowCount = new StaleStateException(
                "Unexpected row count (expected row count 1 but was 0) [delete from users.app_user where id=?]");
        assertTrue(DatabaseFailures.concurrent(rowCount));
        assertTrue(DatabaseFailures.concurrent(new OptimisticLockException(rowCount.getMessage(), rowCount)));
        assertTrue(DatabaseFailures.concurrent(new StaleObjectStateException("org.acme.users.entity.User", 7L)));
        assertEquals("StaleStateException", DatabaseFailures.describe(new OptimisticLockException("x", rowCount)));
        // as issue #20's DELETE met it: the commit's exception, rethrown through the bean's subclass
        assertTrue(DatabaseFailures.concurrent(new ArcUndeclaredThrowableException("Error invoking subclass method",
                new OptimisticLockException(rowCount.getMessage(), new StaleObjectStateException("User", 4L)))));
        // at commit, through JTA: the flush's exception as the cause, or among the suppressed ones
        RollbackException asCause = new RollbackException("ARJUNA016053: Could not commit transaction.");
        asCause.initCause(new OptimisticLockException("x", rowCount));
        assertTrue(DatabaseFailures.concurrent(new RuntimeException(asCause)));
        RollbackException asSuppressed = new RollbackException("ARJUNA016053: Could not commit transaction.");
        asSuppressed.addSuppressed(new OptimisticLockException("x", rowCount));
        assertTrue(DatabaseFailures.concurrent(new RuntimeException(asSuppressed)));
        assertFalse(DatabaseFailures.unavailable(asSuppressed), "a lost race is no dead node: not a 503");
    }

    @Test
    void otherFailuresAreNotConcurrent() {
        for (String state : new String[] {"23505", "22021", "08006", "57P01", "42501", "25006", "40003"}) {
            assertFalse(DatabaseFailures.concurrent(new RuntimeException(new SQLException("x", state))), state);
        }
        assertFalse(DatabaseFailures.concurrent(new ConstraintViolationException("dup",
                new SQLException("duplicate key", "23505"), "app_user_email_key")), "a duplicate is the client's 409");
        assertFalse(DatabaseFailures.concurrent(new RuntimeException(new RollbackException("marked rollback only"))));
        assertFalse(DatabaseFailures.concurrent(new IllegalStateException("a bug")));
        assertFalse(DatabaseFailures.concurrent(null));
    }

    /** A session PostgreSQL ended before the commit, or a connection found already closed: run again (WriteRetry). */
    @Test
    void aSessionEndedBeforeTheCommitNeverCommitted() {
        // the instance frozen mid-transaction: PostgreSQL ended the session (idle in transaction); its next statement
        // reads the FATAL, and the socket's end may come with it
        SQLException idleEnded = new SQLException("terminating connection due to idle-in-transaction timeout", "25P03");
        assertTrue(DatabaseFailures.neverCommitted(new GenericJDBCException("insert", idleEnded)));
        RollbackException commit = new RollbackException("ARJUNA016053: Could not commit transaction.");
        commit.addSuppressed(idleEnded);
        commit.addSuppressed(new SQLException("An I/O error occurred while sending to the backend", "08006", new EOFException()));
        assertTrue(DatabaseFailures.neverCommitted(new ArcUndeclaredThrowableException(commit)));
        assertTrue(DatabaseFailures.neverCommitted(new SQLException("terminating connection due to idle-session timeout", "57P05")));
        // the pooled connection that session left closed, met by the next request: nothing was sent on it
        SQLException closed = new SQLException("This connection has been closed.", "08003");
        assertTrue(DatabaseFailures.neverCommitted(new JDBCConnectionException("insert", closed)));
        // still a 503 once the retries are spent
        assertTrue(DatabaseFailures.unavailable(idleEnded));
        assertTrue(DatabaseFailures.unavailable(closed));
    }

    /** A connection that broke with the commit possibly in flight: the write may have committed, a 503, not retried. */
    @Test
    void aConnectionLostAroundTheCommitMayHaveCommitted() {
        SQLException lost = new SQLException("An I/O error occurred while sending to the backend", "08006", new EOFException());
        assertFalse(DatabaseFailures.neverCommitted(lost));
        // the rollback that follows finds the connection closed: the commit's fate is still unknown
        RollbackException commit = new RollbackException("ARJUNA016053: Could not commit transaction.");
        commit.addSuppressed(lost);
        commit.addSuppressed(new SQLException("This connection has been closed.", "08003"));
        assertFalse(DatabaseFailures.neverCommitted(commit));
        RollbackException socket = new RollbackException("commit");
        socket.addSuppressed(new SQLException("This connection has been closed.", "08003", new java.net.SocketException("reset")));
        assertFalse(DatabaseFailures.neverCommitted(socket));
        // shut down under a COMMIT: the commit record may be on disk
        assertFalse(DatabaseFailures.neverCommitted(new SQLException("terminating connection due to administrator command", "57P01")));
        assertFalse(DatabaseFailures.neverCommitted(new SQLException("deadlock", "40P01")));
        assertFalse(DatabaseFailures.neverCommitted(new SQLException("duplicate", "23505")));
        assertFalse(DatabaseFailures.neverCommitted(new ConnectException("refused")));
    }
}
