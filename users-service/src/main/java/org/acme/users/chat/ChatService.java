package org.acme.users.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import org.acme.users.consistency.ConsistencyToken;
import org.acme.users.consistency.FreshReads;
import org.acme.users.service.ReadRetry;
import org.acme.users.service.RetryIfNotCommitted;

/**
 * Chat rooms on the primary: a message is stored and announced (NOTIFY) in one transaction, so every instance
 * hears of exactly the messages that committed, in commit order. History reads come from the replica (FreshReads).
 */
@ApplicationScoped
public class ChatService {

    /** The NOTIFY channel every instance LISTENs on; the payload is a {@link ChatFrame} in JSON. */
    public static final String CHANNEL = "users_chat";
    public static final Pattern ROOM = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    public static final int MAX_USER_LENGTH = 64;
    // with JSON escaping the NOTIFY payload stays well under PostgreSQL's 8000-byte limit
    public static final int MAX_TEXT_LENGTH = 1000;
    public static final int MAX_PAGE = 500;
    /**
     * A message's id before the database gives it one, and how its frame reads then: the statement that numbers it
     * puts the id there. Text cannot contain the mark: JSON escapes every quote inside a string.
     */
    static final long UNNUMBERED = Long.MIN_VALUE;
    static final String ID_FIELD = "\"id\":";
    static final String ID_MARK = ID_FIELD + UNNUMBERED;

    @Inject
    ChatMessageRepository messages;

    @Inject
    ChatHistory history;

    @Inject
    ReadRetry retry;

    @Inject
    FreshReads reads;

    @Inject
    ObjectMapper json;

    /** A stored message, and whether an earlier frame with the same client key stored it. */
    public record Posted(ChatMessage message, boolean replayed) {
    }

    /**
     * Stores a message and announces it, or, when its author already stored one with CLIENT_KEY in the room (a resend,
     * or the same frame from a second socket at the same moment), gives the id back and answers with the stored one.
     */
    @Transactional
    @RetryIfNotCommitted
    public Posted post(String room, String author, String text, String clientKey) {
        ChatMessage message = new ChatMessage();
        message.room = room;
        message.id = UNNUMBERED; // the database numbers it: the frame says where its id goes
        message.author = author;
        message.body = text;
        message.clientKey = clientKey;
        message.sentAt = Instant.now().truncatedTo(ChronoUnit.MICROS); // PostgreSQL's precision
        OptionalLong id = messages.storeAndAnnounce(message, CHANNEL, toJson(ChatFrame.Message.of(message)), ID_MARK);
        if (id.isEmpty()) {
            QuarkusTransaction.setRollbackOnly(); // gives the id back: ids stay gapless
            return new Posted(messages.findByClientKey(room, author, clientKey)
                    .orElseThrow(() -> new IllegalStateException("the key's message is committed, and never deleted")), true);
        }
        message.id = id.getAsLong();
        return new Posted(message, false);
    }

    /** Join and leave notices are announced to the room's members everywhere, not stored. */
    @Transactional
    public void announce(ChatFrame notice) {
        messages.announce(CHANNEL, toJson(notice));
    }

    /** History like any read: from the replica while it is fresh enough for the request's token and the bound. */
    public List<ChatMessage> history(String room, long after, int limit) {
        return reads.read(datasource -> this.history.after(datasource, room, after, limit));
    }

    /** Messages read from the primary, and a token at or after the commit of every one of them. */
    public record CatchUp(List<ChatMessage> messages, ConsistencyToken token) {
    }

    /**
     * History from the primary (as the reader role), where every announced message is already committed: for sockets
     * catching up. The position is read after the messages, on the same node: it is at or after the commit of
     * everything the read saw. (Retried like reads after the primary returns.)
     */
    public CatchUp historyOnPrimary(String room, long after, int limit) {
        return retry.read(() -> {
            ChatHistory.Positioned<List<ChatMessage>> page = history.afterOnPrimary(room, after, limit);
            return new CatchUp(page.value(), ConsistencyToken.parse(page.walPosition()));
        });
    }

    /** The room's newest id, from the primary, and a token at or after that message's commit. */
    public record Newest(long id, ConsistencyToken token) {
    }

    public Newest newest(String room) {
        return retry.read(() -> {
            ChatHistory.Positioned<Long> newest = history.lastIdOnPrimary(room);
            return new Newest(newest.value(), ConsistencyToken.parse(newest.walPosition()));
        });
    }

    public String toJson(ChatFrame frame) {
        try {
            return json.writeValueAsString(frame);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // a record of strings and numbers always serializes
        }
    }

    /** Why USER cannot be a chat name, or null when it can: 1 to 64 characters, none of them a control character. */
    public static String invalidUser(String user) {
        if (user == null || user.isBlank()) {
            return "user is required";
        }
        if (user.codePointCount(0, user.length()) > MAX_USER_LENGTH || user.chars().anyMatch(Character::isISOControl)) {
            return "user must be 1 to " + MAX_USER_LENGTH + " characters without control characters";
        }
        return null;
    }
}
