package org.acme.users.websocket;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.acme.users.entity.ChatMessage;
import org.acme.users.service.ChatFrame;
import org.acme.users.service.ChatService;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Cross-instance fan-out. One connection to the primary LISTENs on {@value ChatService#CHANNEL}; every
 * notification (a committed message, in commit order) goes to this instance's sockets in that room.
 *
 * <p>Exactly once, in order, without gaps, per client: a message whose id is not above the client's last id is
 * dropped; one that skips ids (notifications missed while the primary was away) makes the relay first read
 * the missing ones from the primary. After every (re)connection of the listener all sockets catch up that way.
 */
@ApplicationScoped
public class ChatRelay {

    private static final Logger LOG = Logger.getLogger(ChatRelay.class);
    /** How often the listener checks its connection with a query: a hung primary shows as a socket timeout. */
    private static final long CHECK_NANOS = TimeUnit.SECONDS.toNanos(5);

    @ConfigProperty(name = "quarkus.datasource.write.jdbc.url")
    String url;

    @ConfigProperty(name = "quarkus.datasource.write.username")
    String username;

    @ConfigProperty(name = "quarkus.datasource.write.password")
    Optional<String> password;

    @ConfigProperty(name = "users.instance-name")
    String instance;

    @ConfigProperty(name = "users.migration.exit-when-done")
    boolean migrateOnly;

    @ConfigProperty(name = "users.chat.ping-interval")
    Duration pingInterval;

    @ConfigProperty(name = "users.chat.outbox-limit")
    int outboxLimit;

    @Inject
    ChatService chat;

    @Inject
    ObjectMapper json;

    private final Map<String, Set<ChatSession>> rooms = new ConcurrentHashMap<>();
    private final ExecutorService senders = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "chat-sender");
        thread.setDaemon(true);
        return thread;
    });
    private volatile boolean running;
    private volatile boolean listening;
    private Thread listener;

    void start(@Observes StartupEvent event) {
        if (migrateOnly) {
            return;
        }
        running = true;
        listener = new Thread(this::listen, "chat-listener");
        listener.setDaemon(true);
        listener.start();
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        if (listener != null) {
            listener.interrupt();
        }
        // clients reconnect (through nginx, to another instance) and catch up there
        sessions().forEach(s -> s.close(CloseReason.CloseCodes.GOING_AWAY, "instance stopping"));
        senders.shutdown();
    }

    /** Whether this instance hears the primary's notifications right now. */
    public boolean listening() {
        return listening;
    }

    boolean running() {
        return running;
    }

    ChatSession newSession(Session socket, String room, String user) {
        return new ChatSession(socket, room, user, senders, outboxLimit);
    }

    /**
     * Registers SESSION, then sets where it starts: after AFTER (catching up from the primary), or after the
     * room's newest message. Registered first, so a message committed meanwhile is either read here or relayed;
     * the relay waits for this to finish (the session's monitor), so the client gets hello, then the catch-up,
     * then what is live.
     */
    void open(ChatSession session, Long after) {
        synchronized (session) {
            rooms.compute(session.room, (room, members) -> {
                Set<ChatSession> set = members != null ? members : ConcurrentHashMap.newKeySet();
                set.add(session);
                return set;
            });
            long start;
            ChatFrame hello;
            if (after != null) {
                start = after;
                hello = ChatFrame.hello(session.room, session.user, instance, start);
            } else {
                // with a token: the history the client reads of what came before its socket is not older than this
                ChatService.Newest newest = chat.newest(session.room);
                start = newest.id();
                hello = ChatFrame.hello(session.room, session.user, instance, start).withToken(newest.token().toString());
            }
            session.send(chat.toJson(hello));
            session.lastId = start;
            catchUp(session);
        }
    }

    void close(ChatSession session) {
        rooms.computeIfPresent(session.room, (room, members) -> {
            members.remove(session);
            return members.isEmpty() ? null : members;
        });
    }

    @Scheduled(every = "${users.chat.ping-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void pingIdleClients() {
        long idle = pingInterval.toNanos();
        sessions().forEach(s -> s.pingIfIdle(idle));
    }

    private List<ChatSession> sessions() {
        return rooms.values().stream().flatMap(Set::stream).toList();
    }

    // ---- the listener --------------------------------------------------------------------------

    private void listen() {
        long backoffMillis = 250;
        while (running) {
            try (Connection connection = new org.postgresql.Driver().connect(url, listenerProperties())) {
                if (connection == null) {
                    throw new SQLException("not a PostgreSQL URL: " + url);
                }
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN " + ChatService.CHANNEL);
                }
                listening = true;
                backoffMillis = 250;
                LOG.infof("chat: listening for %s on the primary", ChatService.CHANNEL);
                sessions().forEach(this::catchUpOrClose); // what was announced while nobody listened here
                PGConnection notifications = connection.unwrap(PGConnection.class);
                long nextCheck = System.nanoTime() + CHECK_NANOS;
                while (running) {
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
                if (running) {
                    sleep(backoffMillis);
                    backoffMillis = Math.min(backoffMillis * 2, 2000);
                }
            }
        }
        listening = false;
    }

    private Properties listenerProperties() {
        Properties properties = new Properties();
        properties.setProperty("user", username);
        properties.setProperty("password", password.orElse(""));
        properties.setProperty("connectTimeout", "2");
        properties.setProperty("socketTimeout", "10");
        properties.setProperty("tcpKeepAlive", "true");
        properties.setProperty("ApplicationName", instance + "-chat");
        return properties;
    }

    private static String walPosition(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private void relay(String payload, String token) {
        ChatFrame frame;
        try {
            frame = json.readValue(payload, ChatFrame.class);
        } catch (Exception e) {
            LOG.warnf("chat: ignoring a notification that is not a frame: %s", payload);
            return;
        }
        Set<ChatSession> members = rooms.get(frame.room());
        if (members == null) {
            return;
        }
        for (ChatSession session : members) {
            if (frame.id() == null) {
                synchronized (session) {
                    session.send(payload); // a join/leave notice: not stored, no id
                }
            } else {
                deliver(session, frame.id(), chat.toJson(frame.withToken(token)));
            }
        }
    }

    private void deliver(ChatSession session, long id, String payload) {
        synchronized (session) {
            if (id > session.lastId + 1 && !catchUpOrClose(session)) {
                return;
            }
            if (id == session.lastId + 1) {
                session.send(payload);
                session.lastId = id;
            }
            // id <= lastId: the client has it already
        }
    }

    private boolean catchUpOrClose(ChatSession session) {
        synchronized (session) {
            try {
                catchUp(session);
                return true;
            } catch (RuntimeException e) {
                // the client reconnects with after=<its last id> and gets the rest where the primary answers
                LOG.warnf("chat: cannot catch a client up (%s); closing its socket", e.getMessage());
                session.close(CloseReason.CloseCodes.TRY_AGAIN_LATER, "cannot catch up now; reconnect with after");
                close(session);
                return false;
            }
        }
    }

    /** Sends SESSION every stored message of its room after its last id, from the primary. */
    private void catchUp(ChatSession session) {
        ChatService.CatchUp page;
        do {
            page = chat.historyOnPrimary(session.room, session.lastId, ChatService.MAX_PAGE);
            for (ChatMessage message : page.messages()) {
                session.send(chat.toJson(ChatFrame.of(message).withToken(page.token().toString())));
                session.lastId = message.id;
            }
        } while (page.messages().size() == ChatService.MAX_PAGE);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
