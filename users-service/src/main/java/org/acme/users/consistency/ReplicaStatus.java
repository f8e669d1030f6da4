package org.acme.users.consistency;

import io.agroal.api.AgroalDataSource;
import io.quarkus.agroal.DataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.acme.users.routing.ReadWriteRouting;
import org.acme.users.config.UsersConfig;

/**
 * What the read path reaches and how far the logical replica has got, measured on the subscriber itself: the
 * subscription's replication origin (the primary's position of the last transaction it applied) and this instance's
 * heartbeat row (the age of the newest data it has, end to end). One prober thread asks; reads that wait for a token
 * wake it up instead of querying the replica themselves.
 */
@ApplicationScoped
public class ReplicaStatus {

    /** While reads wait for a token the replica is asked again this soon, not sooner: waiters share the answers. */
    static final long EAGER_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * One answer of the read path. {@code replica}: it reached the subscriber (not the primary behind HAProxy's
     * backup); {@code applied}: the primary's position of the last transaction applied there; {@code beatAtMillis}:
     * this instance's newest heartbeat there, -1 when unknown; {@code copying}: tables of the subscription whose
     * initial copy has not finished (a new table after a migration, or every table of a replica being re-seeded).
     * While any is copying, the replica's position and heartbeat say nothing of the other tables: it serves no reads.
     */
    public record Sample(long startedNanos, boolean answered, boolean replica, String node, ConsistencyToken applied,
            Boolean subscriptionEnabled, long beatAtMillis, int copying, String error) {

        static final Sample NONE = new Sample(System.nanoTime() - TimeUnit.DAYS.toNanos(1), false, false, null, null,
                null, -1, 0, "not probed yet");

        boolean covers(ConsistencyToken token) {
            return replica && copying == 0 && applied != null && applied.covers(token);
        }

        /** Age of the replica's data now, in milliseconds; -1 when unknown. */
        public long lagMillis() {
            return replica && copying == 0 && beatAtMillis >= 0
                    ? Math.max(0, System.currentTimeMillis() - beatAtMillis) : -1;
        }
    }

    @Inject
    @DataSource(ReadWriteRouting.READ)
    AgroalDataSource read;

    @Inject
    UsersConfig config;


    private final Object lock = new Object();
    private int waiting; // guarded by lock
    private volatile Sample latest = Sample.NONE;
    private volatile Runnable onSample = () -> { };

    public Sample latest() {
        return latest;
    }

    /** Whether the replica may serve reads now: it answers and its data is within the staleness bound. */
    public boolean fresh() {
        long lag = latest.lagMillis();
        return lag >= 0 && lag <= config.read().maxStaleness().toMillis();
    }

    /**
     * Waits until the replica has applied TOKEN, at most until DEADLINE (System.nanoTime()). False when the deadline
     * passed, or when a probe made after the call began found no replica on the read path.
     */
    public boolean awaitApplied(ConsistencyToken token, long deadlineNanos) throws InterruptedException {
        if (latest.covers(token)) {
            return true;
        }
        long start = System.nanoTime();
        synchronized (lock) {
            waiting++;
            lock.notifyAll();
            try {
                while (true) {
                    Sample sample = latest;
                    if (sample.covers(token)) {
                        return true;
                    }
                    if (sample.startedNanos() - start >= 0 && !sample.replica()) {
                        return false;
                    }
                    long left = deadlineNanos - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                }
            } finally {
                waiting--;
            }
        }
    }

    /** Called on the prober thread after every probe. */
    public void onSample(Runnable listener) {
        onSample = listener;
    }

    /** The prober (org.acme.users.background.BackgroundWork runs it): a probe each interval, sooner for token waits. */
    public void probe(BooleanSupplier running) throws InterruptedException {
        long interval = config.read().heartbeatInterval().toNanos();
        long lastStart = System.nanoTime() - interval;
        while (running.getAsBoolean()) {
            synchronized (lock) {
                while (running.getAsBoolean()) {
                    long now = System.nanoTime();
                    long next = lastStart + (waiting > 0 ? EAGER_GAP_NANOS : interval);
                    if (now - next >= 0) {
                        break;
                    }
                    TimeUnit.NANOSECONDS.timedWait(lock, next - now);
                }
            }
            lastStart = System.nanoTime();
            Sample sample = probe(lastStart);
            synchronized (lock) {
                latest = sample;
                lock.notifyAll();
            }
            onSample.run();
        }
    }

    private Sample probe(long started) {
        try (Connection connection = read.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT current_setting('cluster_name'),"
                                + " EXISTS (SELECT 1 FROM pg_publication WHERE pubname = ?),"
                                + " (SELECT o.remote_lsn::text FROM pg_replication_origin_status o"
                                + "    JOIN pg_subscription s ON o.external_id = 'pg_' || s.oid WHERE s.subname = ?),"
                                + " (SELECT subenabled FROM pg_subscription WHERE subname = ?),"
                                + " (SELECT beat_at FROM users.replication_heartbeat WHERE instance = ?),"
                                + " (SELECT count(*) FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid"
                                + "    WHERE s.subname = ? AND r.srsubstate <> 'r')")) {
            statement.setString(1, config.publication());
            statement.setString(2, config.subscription());
            statement.setString(3, config.subscription());
            statement.setString(4, config.instanceName());
            statement.setString(5, config.subscription());
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                boolean publisher = rs.getBoolean(2);
                Timestamp beat = rs.getTimestamp(5);
                Boolean enabled = rs.getObject(4) == null ? null : rs.getBoolean(4);
                return new Sample(started, true, !publisher, rs.getString(1),
                        ConsistencyToken.ofPgLsn(rs.getString(3)).orElse(null), enabled,
                        beat == null ? -1 : beat.getTime(), rs.getInt(6), null);
            }
        } catch (Exception e) {
            return new Sample(started, false, false, null, null, null, -1, 0, e.getMessage());
        }
    }

    /** Why the replica is not fresh, for people. */
    public String why(Sample sample) {
        if (!sample.answered()) {
            return "the read path does not answer (" + sample.error() + ")";
        }
        if (!sample.replica()) {
            return "the read path reaches the primary (" + sample.node() + "): the replica is down";
        }
        if (Boolean.FALSE.equals(sample.subscriptionEnabled())) {
            return "subscription " + config.subscription() + " is disabled on " + sample.node();
        }
        if (sample.copying() > 0) {
            return sample.copying() + " table(s) of subscription " + config.subscription() + " still being copied on "
                    + sample.node() + " (a new table, or the replica re-seeded)";
        }
        if (sample.beatAtMillis() < 0) {
            return "no heartbeat of this instance on " + sample.node() + " yet";
        }
        return "its data is " + sample.lagMillis() + " ms old, over the bound of " + config.read().maxStaleness().toMillis()
                + " ms (replication stopped or behind)";
    }
}
