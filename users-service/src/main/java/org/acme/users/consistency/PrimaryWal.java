package org.acme.users.consistency;

import io.agroal.api.AgroalDataSource;
import io.quarkus.agroal.DataSource;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.acme.users.problem.DatabaseFailures;
import org.acme.users.routing.PrimaryConnections;
import org.acme.users.routing.ReadWriteRouting;
import org.jboss.logging.Logger;
import org.acme.users.config.UsersConfig;

/**
 * The primary's side: where its WAL is (the consistency tokens), whether it answers, and this instance's heartbeat
 * row, whose arrival on the replica measures the replica's lag end to end.
 */
@ApplicationScoped
public class PrimaryWal {

    private static final Logger LOG = Logger.getLogger(PrimaryWal.class);
    /** A token for "everything the primary has": issued when the position could not be read after a commit. */
    static final ConsistencyToken EVERYTHING = new ConsistencyToken(-1L);

    /** How a token compares with what the primary has written. */
    public enum Validity {
        /** at or before the primary's position: a real position */
        VALID,
        /** beyond anything the primary has written: forged, or from another cluster */
        AHEAD_OF_PRIMARY,
        /** the primary does not answer: cannot tell */
        UNKNOWN
    }

    @Inject
    @DataSource(ReadWriteRouting.WRITE)
    AgroalDataSource write;

    @Inject
    UsersConfig config;

    @Inject
    PrimaryConnections connections;

    /** The heartbeat's own connection to the primary, opened on the first beat and again after a failure. */
    private volatile Connection heartbeatConnection;


    /** The highest position this instance has seen the primary at (unsigned compare). */
    private final AtomicLong known = new AtomicLong(0);
    private volatile long lastBeatOkNanos = System.nanoTime() - TimeUnit.DAYS.toNanos(1);
    /** The last heartbeat attempt ended in an error (not merely late: a stalled JVM is no sign of a dead primary). */
    private volatile boolean lastBeatFailed;
    private volatile boolean beating;

    /**
     * The primary's current insert position, read after the caller's transaction committed: at or after its
     * COMMIT record, whatever synchronous_commit says.
     */
    public ConsistencyToken current() throws SQLException {
        try (Connection connection = write.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            return seen(ConsistencyToken.parse(rs.getString(1)));
        }
    }

    /** The token for a write that has just committed. Never fails: a primary gone since the commit gives EVERYTHING. */
    public ConsistencyToken afterCommit() {
        try {
            return current();
        } catch (SQLException | RuntimeException e) {
            // the write is committed; the client must not read anything older than it: "everything the primary has"
            // is resolved against the primary's position once it answers (see validate)
            LOG.debugf("no WAL position after a commit (%s): issuing the everything-token", e.getMessage());
            return EVERYTHING;
        }
    }

    public Validity validate(ConsistencyToken token) {
        if (new ConsistencyToken(known.get()).covers(token)) {
            return Validity.VALID;
        }
        try {
            return current().covers(token) ? Validity.VALID : Validity.AHEAD_OF_PRIMARY;
        } catch (SQLException | RuntimeException e) {
            if (DatabaseFailures.unavailable(e)) {
                return Validity.UNKNOWN;
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
    }

    /** Whether the heartbeat reached the primary lately: then the primary can serve the reads a replica cannot. */
    public boolean reachable() {
        long recent = Math.max(TimeUnit.SECONDS.toNanos(1), 3 * config.read().heartbeatInterval().toNanos());
        return System.nanoTime() - lastBeatOkNanos < recent;
    }

    /** Not reachable, and the last heartbeat failed outright: asking the primary again now would only wait to fail. */
    public boolean knownDown() {
        return lastBeatFailed && !reachable();
    }

    /**
     * One heartbeat: this instance's row on the primary gets the time now (this instance's clock, read back by it).
     * On a connection of its own, outside the write pool: requests that exhaust the pool are no dead primary.
     * Only the heartbeat thread calls it (org.acme.users.background.BackgroundWork, every heartbeat interval).
     */
    public void beat() {
        try {
            if (heartbeatConnection == null) {
                heartbeatConnection = connections.open("heartbeat");
            }
            beatOn(heartbeatConnection);
        } catch (SQLException | RuntimeException e) {
            closeHeartbeatConnection();
            lastBeatFailed = true;
            if (beating) {
                beating = false;
                LOG.warnf("replication heartbeat: the primary does not take it (%s); reads stay on the replica", e.getMessage());
            }
        }
    }

    private void beatOn(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO users.replication_heartbeat AS h (instance, beat_at) VALUES (?, ?)"
                        + " ON CONFLICT (instance) DO UPDATE SET beat_at = EXCLUDED.beat_at"
                        + " RETURNING pg_current_wal_insert_lsn()::text")) {
            statement.setString(1, config.instanceName());
            statement.setTimestamp(2, Timestamp.from(Instant.now()));
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                seen(ConsistencyToken.parse(rs.getString(1)));
            }
            lastBeatOkNanos = System.nanoTime();
            lastBeatFailed = false;
            if (!beating) {
                beating = true;
                LOG.info("replication heartbeat: writing to the primary");
            }
        }
    }

    @PreDestroy
    void closeHeartbeatConnection() {
        Connection connection = heartbeatConnection;
        heartbeatConnection = null;
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debugf("replication heartbeat: closing its connection: %s", e.getMessage());
            }
        }
    }

    private ConsistencyToken seen(ConsistencyToken position) {
        known.accumulateAndGet(position.lsn(), (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
        return position;
    }
}
