package org.acme.users.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.acme.users.routing.PrimaryConnections;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * One connection per instance that LISTENs on {@value ChatService#CHANNEL} on the primary: every notification (a
 * committed message or notice, in commit order) goes to {@link ChatRooms}. A connection of its own, held for the life
 * of the instance, made with the write datasource's own settings (URL, writer role, timeouts): not a pooled one,
 * which the pool would want back. Reconnects with a backoff; after each (re)connection the rooms catch up.
 */
@ApplicationScoped
public class ChatListener {

    private static final Logger LOG = Logger.getLogger(ChatListener.class);
    /** How often the listener checks its connection with a query: a hung primary shows as a socket timeout. */
    private static final long CHECK_NANOS = TimeUnit.SECONDS.toNanos(5);

    @Inject
    PrimaryConnections primary;

    @Inject
    ChatRooms rooms;

    @Inject
    ObjectMapper json;

    private volatile boolean listening;

    /** Whether this instance hears the primary's notifications right now. */
    public boolean listening() {
        return listening;
    }

    /** Listens while RUNNING says so (org.acme.users.background.BackgroundWork runs it), reconnecting with a backoff. */
    public void listen(BooleanSupplier running) {
        long backoffMillis = 250;
        while (running.getAsBoolean()) {
            try (Connection connection = primary.open("chat")) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN " + ChatService.CHANNEL);
                }
                listening = true;
                backoffMillis = 250;
                LOG.infof("chat: listening for %s on the primary", ChatService.CHANNEL);
                rooms.catchUpEveryone();
                PGConnection notifications = connection.unwrap(PGConnection.class);
                long nextCheck = System.nanoTime() + CHECK_NANOS;
                while (running.getAsBoolean()) {
                    PGNotification[] received = notifications.getNotifications(500);
                    if (received != null && received.length > 0) {
                        // notifications arrive after their commits: the position now is a token for all of them
                        String token = walPosition(connection);
                        for (PGNotification notification : received) {
                            relay(notification.getParameter(), token);
                        }
                    }
                    if (System.nanoTime() - nextCheck > 0) {
                        try (Statement statement = connection.createStatement()) {
                            statement.execute("SELECT 1");
                        }
                        nextCheck = System.nanoTime() + CHECK_NANOS;
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (listening) {
                    LOG.warnf("chat: lost the primary (%s); listening again as soon as it answers", e.getMessage());
                }
                listening = false;
                if (running.getAsBoolean()) {
                    sleep(backoffMillis);
                    backoffMillis = Math.min(backoffMillis * 2, 2000);
                }
            }
        }
        listening = false;
    }

    private void relay(String payload, String token) {
        ChatFrame frame;
        try {
            frame = json.readValue(payload, ChatFrame.class);
        } catch (Exception e) {
            LOG.warnf("chat: ignoring a notification that is not a frame (%d characters)", payload.length());
            return;
        }
        rooms.relay(frame, token);
    }

    private static String walPosition(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
