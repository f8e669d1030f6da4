package org.acme.users.problem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.transaction.RollbackException;
import java.io.EOFException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import org.hibernate.exception.ConstraintViolationException;
import org.hibernate.exception.GenericJDBCException;
import org.hibernate.exception.JDBCConnectionException;
import org.junit.jupiter.api.Test;

/**
 * The classification of database failures, without a database: the shapes the failover tests meet (a refused
 * connection, a socket that timed out, a commit on a dead connection, the pool giving up), each wrapped the way
 * Hibernate, JTA and Agroal wrap them.
 */
class DatabaseFailuresTest {

    @Test
    void connectionStatesAreUnavailable() {
        for (String state : new String[] {"08000", "08001", "08003", "08006", "57P01", "57P02", "57P03", "53300"}) {
            assertTrue(DatabaseFailures.unavailable(new SQLException("x", state)), state);
            assertTrue(DatabaseFailures.unavailable(new RuntimeException(new SQLException("x", state))), state + " wrapped");
        }
    }

    @Test
    void otherStatesAreNotUnavailable() {
        for (String state : new String[] {"23505", "22021", "42501", "25006", "40001"}) {
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
}
