package org.acme.users.reactive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.VertxException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.io.IOException;
import java.net.ConnectException;
import java.util.Arrays;
import java.util.List;
import org.acme.users.problem.DatabaseFailures;
import org.junit.jupiter.api.Test;

/**
 * The reactive client's failures leave ReactivePools as JDBC's would: one vocabulary for the problem answers. The
 * event loops' lanes share the budget's connections out, never more.
 */
class ReactivePoolsTest {

    @Test
    void theLanesShareTheBudgetsConnectionsOut() {
        assertArrayEquals(new int[] {1, 1, 1}, ReactivePools.laneSizes(4, 3)); // more event loops than connections
        assertArrayEquals(new int[] {2, 1}, ReactivePools.laneSizes(2, 3));
        assertArrayEquals(new int[] {3}, ReactivePools.laneSizes(1, 3));
        assertArrayEquals(new int[] {2, 2, 2, 2}, ReactivePools.laneSizes(4, 8));
        assertArrayEquals(new int[] {1}, ReactivePools.laneSizes(4, 1));
        for (int loops = 1; loops <= 16; loops++) {
            for (int connections = 1; connections <= 16; connections++) {
                int[] sizes = ReactivePools.laneSizes(loops, connections);
                assertEquals(connections, Arrays.stream(sizes).sum(), loops + " loops, " + connections);
                assertEquals(Math.min(loops, connections), sizes.length, loops + " loops, " + connections);
            }
        }
    }

    @Test
    void everyShapeOfALostConnectionIsAConnectionFailureAsJdbcSaysIt() {
        // each seen in CI under failovers, before this translation: each was a 500
        for (Throwable lost : List.of(new IOException("Connection reset by peer"),
                new NoStackTraceThrowable("Connection is not active now, current status: CLOSED"),
                new VertxException("Pending requests failed to be sent due to connection has been closed.", true),
                ClosedConnectionException.INSTANCE, new ConnectException("Connection refused"))) {
            assertTrue(ReactivePools.lostConnection(lost), lost.toString());
            Throwable seen = ReactivePools.asConnectionFailure(lost);
            assertEquals("08006", DatabaseFailures.sqlState(seen), lost.toString());
            assertTrue(DatabaseFailures.unavailable(seen), lost.toString());
        }
        // a refused connect stays refused (not retried at once), a reset does not
        assertTrue(DatabaseFailures.refused(ReactivePools.asConnectionFailure(new ConnectException("refused"))));
        assertFalse(DatabaseFailures.refused(ReactivePools.asConnectionFailure(new IOException("reset"))));
    }

    @Test
    void postgresqlsOwnErrorsAndABusyPoolKeepTheirMeaning() {
        assertFalse(ReactivePools.lostConnection(new PgException("duplicate", "ERROR", "23505", null)));
        VertxException busy = new VertxException("Timeout waiting for connection", true);
        assertFalse(ReactivePools.lostConnection(busy));
        assertTrue(DatabaseFailures.poolExhausted(busy));
    }
}
