package org.acme.users.chat;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.acme.users.config.UsersConfig;
import org.jboss.logging.Logger;

/**
 * This instance's members of every room, and what they are given: a hello, then every stored message of their room
 * exactly once, in id order, without gaps. A message whose id is not above a member's last id is dropped; one that
 * skips ids (notifications missed while the primary was away) makes the room first read the missing ones from the
 * primary. Frames leave through each session's outbox without a thread waiting on the client; the sender threads
 * owned here only close sockets (never on an event loop).
 */
@ApplicationScoped
public class ChatRooms {

    private static final Logger LOG = Logger.getLogger(ChatRooms.class);

    @Inject
    ChatService chat;

    @Inject
    UsersConfig config;

    private final Map<String, Set<ChatSession>> rooms = new ConcurrentHashMap<>();
    private final ExecutorService senders = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "chat-sender");
        thread.setDaemon(true);
        return thread;
    });
    private volatile boolean stopping;

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        // clients reconnect (through nginx, to another instance) and catch up there
        sessions().forEach(s -> s.close(CloseReason.CloseCodes.GOING_AWAY, "instance stopping"));
        senders.shutdown();
    }

    /** False once the instance is stopping: a socket closed then is not a member leaving. */
    boolean open() {
        return !stopping;
    }

    ChatSession newSession(Session socket, String room, String user) {
        return new ChatSession(socket, room, user, senders, config.chat().outboxLimit());
    }

    /**
     * Registers SESSION, then sets where it starts: after AFTER (catching up from the primary), or after the room's
     * newest message. Registered first, so a message committed meanwhile is either read here or relayed; relaying
     * waits for this to finish (the session's monitor), so the client gets hello, then the catch-up, then what is live.
     */
    void join(ChatSession session, Long after) {
        synchronized (session) {
            rooms.compute(session.room, (room, members) -> {
                Set<ChatSession> set = members != null ? members : ConcurrentHashMap.newKeySet();
                set.add(session);
                return set;
            });
            ChatFrame.Hello hello;
            if (after != null) {
                hello = new ChatFrame.Hello(session.room, after, session.user, config.instanceName(), null);
            } else {
                // with a token: the history the client reads of what came before its socket is not older than this
                ChatService.Newest newest = chat.newest(session.room);
                hello = new ChatFrame.Hello(session.room, newest.id(), session.user, config.instanceName(),
                        newest.token().toString());
            }
            session.send(chat.toJson(hello));
            session.lastId = hello.id();
            catchUp(session);
        }
    }

    void leave(ChatSession session) {
        rooms.computeIfPresent(session.room, (room, members) -> {
            members.remove(session);
            return members.isEmpty() ? null : members;
        });
    }

    /** A committed frame from the primary (a message or a notice), with a token at or after its commit. */
    void relay(ChatFrame frame, String token) {
        String room = frame instanceof ChatFrame.Message m ? m.room()
                : frame instanceof ChatFrame.Joined j ? j.room()
                : frame instanceof ChatFrame.Left l ? l.room() : null;
        Set<ChatSession> members = room == null ? null : rooms.get(room);
        if (members == null) {
            return;
        }
        // one text for every member: the frame with its token (a notice is not stored, has no id)
        String text = chat.toJson(frame instanceof ChatFrame.Message message ? message.withToken(token) : frame);
        for (ChatSession session : members) {
            if (frame instanceof ChatFrame.Message message) {
                deliver(session, message.id(), text);
            } else {
                synchronized (session) {
                    session.send(text);
                }
            }
        }
    }

    /** After the listener (re)connected: what was announced while nobody listened here. */
    void catchUpEveryone() {
        sessions().forEach(this::catchUpOrClose);
    }

    @Scheduled(every = "${users.chat.ping-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void pingIdleClients() {
        // idle for half the interval, not the whole: a ping sent at the last tick is a hair under one interval old at
        // this one, and would be skipped, so an idle socket would be pinged only every other interval
        long idle = config.chat().pingInterval().toNanos() / 2;
        sessions().forEach(s -> s.pingIfIdle(idle));
    }

    private List<ChatSession> sessions() {
        return rooms.values().stream().flatMap(Set::stream).toList();
    }

    /** Message ID, as TEXT, to SESSION: in order, without gaps, once. */
    private void deliver(ChatSession session, long id, String text) {
        synchronized (session) {
            if (id > session.lastId + 1 && !catchUpOrClose(session)) {
                return;
            }
            if (id == session.lastId + 1) {
                session.send(text);
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
                leave(session);
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
                session.send(chat.toJson(ChatFrame.Message.of(message).withToken(page.token().toString())));
                session.lastId = message.id;
            }
        } while (page.messages().size() == ChatService.MAX_PAGE);
    }
}
