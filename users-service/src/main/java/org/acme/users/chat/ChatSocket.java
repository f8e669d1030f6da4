package org.acme.users.chat;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.websockets.UndertowSession;
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
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ForkJoinPool;
import java.util.regex.Pattern;
import org.acme.users.edge.RequestIds;
import org.acme.users.problem.DatabaseFailures;
import org.acme.users.validation.PersonNameValidator;
import org.acme.users.validation.StrictJson;
import org.acme.users.validation.UnicodeText;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * {@code /chat/{room}?user=NAME[&after=ID]}: a chat room over a WebSocket, on any instance. Frames are JSON text
 * (see ChatFrame and ChatInbound), read strictly (StrictJson). A bad frame gets an error frame and the socket stays
 * open, whatever is wrong with its content, an escaped unpaired surrogate ({@code "\\ud800"}) in any string included:
 * that is valid UTF-8 naming no character, refused like any other bad value. A message over
 * {@value #MAX_MESSAGE_CHARS} characters closes it (1009, "too big"); bytes that are not UTF-8 close it with 1007
 * (RFC 6455: not consistent with the message type); a binary message closes it with 1003 (text only).
 */
@ServerEndpoint("/chat/{room}")
@ApplicationScoped
public class ChatSocket {

    private static final Logger LOG = Logger.getLogger(ChatSocket.class);
    static final int MAX_MESSAGE_CHARS = 16 * 1024;
    private static final Set<String> FIELDS = Set.of("type", "text", "key");
    private static final Pattern CLIENT_KEY = Pattern.compile("[\\x21-\\x7e]{1,128}");
    private static final String SESSION = ChatSession.class.getName();
    private static final String GUARD = Utf8FrameGuard.class.getName();
    private static final String REQUEST_ID = RequestIds.MDC_KEY;
    private static final CloseReason.CloseCode NOT_UTF8 = CloseReason.CloseCodes.NOT_CONSISTENT;

    @Inject
    ChatRooms rooms;

    @Inject
    ChatService chat;

    @Inject
    ObjectMapper json;

    @OnOpen
    public void open(Session socket, @PathParam("room") String room) {
        String requestId = socket instanceof UndertowSession undertow ? RequestIds.ofUpgrade(undertow.getChannel())
                : RequestIds.accept(null);
        socket.getUserProperties().put(REQUEST_ID, requestId);
        MDC.put(RequestIds.MDC_KEY, requestId);
        try {
            opened(socket, room);
        } finally {
            MDC.remove(RequestIds.MDC_KEY); // a worker thread: the next socket's callback must not inherit it
        }
    }

    private void opened(Session socket, String room) {
        // first of all, so that every frame the client sends from now on is checked, and every close we make is read
        LingeringClose.install(socket);
        Utf8FrameGuard guard = Utf8FrameGuard.install(socket, () -> closeInvalidText(socket));
        if (guard != null) {
            socket.getUserProperties().put(GUARD, guard);
        }
        String user = parameter(socket, "user");
        String after = parameter(socket, "after");
        String invalid = repeatedParameter(socket);
        if (invalid == null) {
            invalid = !ChatService.ROOM.matcher(room).matches()
                    ? "room must be 1 to 64 letters, digits, '-' or '_'"
                    : ChatService.invalidUser(user);
        }
        if (invalid == null && PersonNameValidator.problem(user, ChatService.MAX_USER_LENGTH) != null) {
            invalid = "user " + PersonNameValidator.problem(user, ChatService.MAX_USER_LENGTH);
        }
        if (invalid == null && after != null && !after.matches("[0-9]{1,18}")) {
            invalid = "after must be a message id (a non-negative integer)";
        }
        if (invalid != null) {
            refuse(socket, 400, "Invalid request", invalid, CloseReason.CloseCodes.VIOLATED_POLICY);
            return;
        }
        ChatSession session = rooms.newSession(socket, room, user);
        socket.getUserProperties().put(SESSION, session);
        try {
            rooms.join(session, after == null ? null : Long.valueOf(after));
        } catch (RuntimeException e) {
            rooms.leave(session);
            socket.getUserProperties().remove(SESSION);
            if (!DatabaseFailures.unavailable(e)) {
                LOG.error("chat: cannot open a socket", e);
            }
            refuse(socket, 503, "Service Unavailable", "the database primary is unreachable; reconnect later",
                    CloseReason.CloseCodes.TRY_AGAIN_LATER);
            return;
        }
        announce(new ChatFrame.Joined(session.room, session.user, now()), session);
    }

    /** Parts as they arrive: a message is bounded while it is received, not after it was buffered whole. */
    @OnMessage
    public void message(Session socket, String part, boolean last) {
        String requestId = requestId(socket);
        if (requestId != null) {
            MDC.put(RequestIds.MDC_KEY, requestId);
        }
        try {
            received(socket, part, last);
        } finally {
            MDC.remove(RequestIds.MDC_KEY);
        }
    }

    private void received(Session socket, String part, boolean last) {
        ChatSession session = (ChatSession) socket.getUserProperties().get(SESSION);
        if (session == null) {
            return; // refused at open, closing
        }
        if (part.indexOf('\uFFFD') >= 0 && !vouchedFor(socket, part)) {
            // the container's decoder made U+FFFD of bytes that were not UTF-8 (this part was not checked)
            session.close(NOT_UTF8, "text frames must be UTF-8");
            return;
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

    /** Binary messages are not part of the protocol: refused at their first part, whatever their size. */
    @OnMessage
    public void binary(Session socket, ByteBuffer part, boolean last) {
        ChatSession session = (ChatSession) socket.getUserProperties().get(SESSION);
        if (session != null) {
            session.close(CloseReason.CloseCodes.CANNOT_ACCEPT, "text frames only");
        }
    }

    private void handle(ChatSession session, String frame) {
        ChatInbound inbound;
        try {
            inbound = json.readValue(frame, ChatInbound.class);
        } catch (StrictJson.UnpairedSurrogate e) {
            // the bytes were UTF-8 (the guard saw to that); the content is what is refused, like any bad value
            error(session, 400, "Invalid frame", fieldOf(e) + " must be valid Unicode: an escaped unpaired surrogate"
                    + " (such as \\ud800) is no character");
            return;
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
        } else if (controlCharacter(inbound.text())) {
            error(session, 400, "Invalid frame", "text must not contain control characters other than tab and line breaks");
        } else if (inbound.text().codePoints().noneMatch(UnicodeText::isVisible)) {
            error(session, 400, "Invalid frame", "text must contain at least one visible character");
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
            rooms.leave(session);
            if (rooms.open()) {
                announce(new ChatFrame.Left(session.room, session.user, now()), session);
            }
        }
    }

    @OnError
    public void failed(Session socket, Throwable failure) {
        LOG.debugf("chat: socket error: %s", failure.toString());
    }

    /** Stored and announced: the sender's acknowledgement is its own message coming back through the listener. */
    private void post(ChatSession session, ChatInbound inbound) {
        try {
            chat.post(session.room, session.user, inbound.text(), inbound.key());
        } catch (RuntimeException e) {
            if (DatabaseFailures.unavailable(e)) {
                error(session, 503, "Service Unavailable",
                        "the database primary is unreachable; send again later (with the same key, it is stored once)");
            } else if (DatabaseFailures.concurrent(e)) {
                // lost a race twice (RetryIfNotCommitted ran it again once): nothing was stored
                error(session, 409, "Conflict",
                        "the message met concurrent writes and was not stored; send it again (with the same key, it is stored once)");
            } else if (DatabaseFailures.invalidData(e)) {
                error(session, 400, "Invalid frame", "the text cannot be stored");
            } else {
                LOG.error("chat: cannot store a message", e);
                error(session, 500, "Internal Server Error", "unexpected error");
            }
        }
    }

    private void announce(ChatFrame notice, ChatSession session) {
        try {
            chat.announce(notice);
        } catch (RuntimeException e) {
            LOG.debugf("chat: no %s notice for %s (%s)", notice.type(), session.user, e.getMessage()); // not worth an error
        }
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS); // PostgreSQL's precision, as stored messages have
    }

    private void error(ChatSession session, int status, String title, String detail) {
        session.send(chat.toJson(new ChatFrame.Failure(status, title, detail, requestId(session.socket))));
    }

    /** An error frame, then the close: the client learns why before the socket ends. */
    private void refuse(Session socket, int status, String title, String detail, CloseReason.CloseCode code) {
        try {
            socket.getBasicRemote().sendText(chat.toJson(new ChatFrame.Failure(status, title, detail, requestId(socket))));
            socket.close(new CloseReason(code, title));
        } catch (IOException e) {
            // gone already
        }
    }

    /** The id of the socket's upgrade request: its error frames and log lines carry it. */
    private static String requestId(Session socket) {
        Object id = socket.getUserProperties().get(REQUEST_ID);
        return id == null ? null : id.toString();
    }

    /** The frame's field a mapping error is about, when it is one of the protocol's: never the client's own names. */
    private static String fieldOf(JsonMappingException e) {
        String field = e.getPath().isEmpty() ? null : e.getPath().get(e.getPath().size() - 1).getFieldName();
        return FIELDS.contains(field) ? field : "every string";
    }

    /** NUL, escape sequences and the like; a message may span lines. */
    private static boolean controlCharacter(String text) {
        return text.codePoints().anyMatch(c -> UnicodeText.isControl(c) && c != '\t' && c != '\n' && c != '\r');
    }

    private static boolean vouchedFor(Session socket, String part) {
        Utf8FrameGuard guard = (Utf8FrameGuard) socket.getUserProperties().get(GUARD);
        return guard != null && guard.vouchesFor(part);
    }

    /** Called by the guard on the event loop: the close (a frame and an onClose callback) runs elsewhere. */
    private static void closeInvalidText(Session socket) {
        ForkJoinPool.commonPool().execute(() -> {
            try {
                socket.close(new CloseReason(NOT_UTF8, "text frames must be UTF-8"));
            } catch (IOException | RuntimeException e) {
                // already closed
            }
        });
    }

    /** A parameter given twice is ambiguous (which user is it?): refused like a bad one. */
    private static String repeatedParameter(Session socket) {
        for (Map.Entry<String, List<String>> parameter : socket.getRequestParameterMap().entrySet()) {
            if (parameter.getValue().size() > 1) {
                return "each query parameter may be given once";
            }
        }
        return null;
    }

    private static String parameter(Session socket, String name) {
        List<String> values = socket.getRequestParameterMap().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
