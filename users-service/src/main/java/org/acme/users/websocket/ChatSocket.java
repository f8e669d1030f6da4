package org.acme.users.websocket;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.server.PathParam;
import jakarta.websocket.server.ServerEndpoint;
import java.io.IOException;
import java.util.List;
import java.util.regex.Pattern;
import org.acme.users.problem.ProblemMappers;
import org.acme.users.service.ChatFrame;
import org.acme.users.service.ChatService;
import org.jboss.logging.Logger;

/**
 * {@code /chat/{room}?user=NAME[&after=ID]}: a chat room over a WebSocket, on any instance. Frames are JSON
 * (see ChatFrame and ChatInbound). A bad frame gets an error frame and the socket stays open; a message over
 * {@value #MAX_MESSAGE_CHARS} characters closes it (1009, "too big").
 */
@ServerEndpoint("/chat/{room}")
@ApplicationScoped
public class ChatSocket {

    private static final Logger LOG = Logger.getLogger(ChatSocket.class);
    static final int MAX_MESSAGE_CHARS = 16 * 1024;
    private static final Pattern CLIENT_KEY = Pattern.compile("[\\x21-\\x7e]{1,128}");
    private static final String SESSION = ChatSession.class.getName();

    @Inject
    ChatRelay relay;

    @Inject
    ChatService chat;

    @Inject
    ObjectMapper json;

    @OnOpen
    public void open(Session socket, @PathParam("room") String room) {
        String user = parameter(socket, "user");
        String after = parameter(socket, "after");
        String invalid = !ChatService.ROOM.matcher(room).matches()
                ? "room must be 1 to 64 letters, digits, '-' or '_'"
                : ChatService.invalidUser(user);
        if (invalid == null && after != null && !after.matches("[0-9]{1,18}")) {
            invalid = "after must be a message id (a non-negative integer)";
        }
        if (invalid != null) {
            refuse(socket, 400, "Invalid request", invalid, CloseReason.CloseCodes.VIOLATED_POLICY);
            return;
        }
        ChatSession session = relay.newSession(socket, room, user);
        socket.getUserProperties().put(SESSION, session);
        try {
            relay.open(session, after == null ? null : Long.valueOf(after));
        } catch (RuntimeException e) {
            relay.close(session);
            socket.getUserProperties().remove(SESSION);
            if (!ProblemMappers.databaseUnavailable(e)) {
                LOG.error("chat: cannot open a socket", e);
            }
            refuse(socket, 503, "Service Unavailable", "the database primary is unreachable; reconnect later",
                    CloseReason.CloseCodes.TRY_AGAIN_LATER);
            return;
        }
        announce(ChatFrame.JOIN, session);
    }

    /** Parts as they arrive: a message is bounded while it is received, not after it was buffered whole. */
    @OnMessage
    public void message(Session socket, String part, boolean last) {
        ChatSession session = (ChatSession) socket.getUserProperties().get(SESSION);
        if (session == null) {
            return; // refused at open, closing
        }
        try {
            String frame = session.inbound(part, last, MAX_MESSAGE_CHARS);
            if (frame != null) {
                handle(session, frame);
            }
        } catch (ChatSession.TooBig e) {
            session.close(CloseReason.CloseCodes.TOO_BIG, "message over " + MAX_MESSAGE_CHARS + " characters");
        }
    }

    private void handle(ChatSession session, String frame) {
        ChatInbound inbound;
        try {
            inbound = json.readValue(frame, ChatInbound.class);
        } catch (IOException e) {
            error(session, 400, "Malformed frame",
                    "expected a JSON object {\"type\":\"message\",\"text\":\"...\",\"key\":\"optional id\"}");
            return;
        }
        if (inbound == null || !ChatFrame.MESSAGE.equals(inbound.type())) {
            error(session, 400, "Invalid frame", "type must be \"message\"");
        } else if (inbound.text() == null || inbound.text().isBlank()) {
            error(session, 400, "Invalid frame", "text is required");
        } else if (inbound.text().codePointCount(0, inbound.text().length()) > ChatService.MAX_TEXT_LENGTH) {
            error(session, 413, "Message too long", "text must be at most " + ChatService.MAX_TEXT_LENGTH + " characters");
        } else if (inbound.text().indexOf('\0') >= 0) {
            error(session, 400, "Invalid frame", "text must not contain NUL characters");
        } else if (inbound.key() != null && !CLIENT_KEY.matcher(inbound.key()).matches()) {
            error(session, 400, "Invalid frame", "key must be 1 to 128 visible ASCII characters");
        } else {
            post(session, inbound);
        }
    }

    @OnClose
    public void close(Session socket, CloseReason reason) {
        ChatSession session = (ChatSession) socket.getUserProperties().remove(SESSION);
        if (session != null) {
            relay.close(session);
            if (relay.running()) {
                announce(ChatFrame.LEAVE, session);
            }
        }
    }

    @OnError
    public void failed(Session socket, Throwable failure) {
        LOG.debugf("chat: socket error: %s", failure.toString());
    }

    /** Stored and announced: the sender's acknowledgement is its own message coming back through the relay. */
    private void post(ChatSession session, ChatInbound inbound) {
        try {
            chat.post(session.room, session.user, inbound.text(), inbound.key());
        } catch (RuntimeException e) {
            if (ProblemMappers.databaseUnavailable(e)) {
                error(session, 503, "Service Unavailable",
                        "the database primary is unreachable; send again later (with the same key, it is stored once)");
            } else {
                LOG.error("chat: cannot store a message", e);
                error(session, 500, "Internal Server Error", "unexpected error");
            }
        }
    }

    private void announce(String type, ChatSession session) {
        try {
            chat.announce(type, session.room, session.user);
        } catch (RuntimeException e) {
            LOG.debugf("chat: no %s notice for %s (%s)", type, session.user, e.getMessage()); // a notice is not worth an error
        }
    }

    private void error(ChatSession session, int status, String title, String detail) {
        session.send(chat.toJson(ChatFrame.error(status, title, detail)));
    }

    /** An error frame, then the close: the client learns why before the socket ends. */
    private void refuse(Session socket, int status, String title, String detail, CloseReason.CloseCode code) {
        try {
            socket.getBasicRemote().sendText(chat.toJson(ChatFrame.error(status, title, detail)));
            socket.close(new CloseReason(code, title));
        } catch (IOException e) {
            // gone already
        }
    }

    private static String parameter(Session socket, String name) {
        List<String> values = socket.getRequestParameterMap().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
