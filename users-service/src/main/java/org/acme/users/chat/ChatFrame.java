package org.acme.users.chat;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.time.Instant;

/**
 * What chat clients receive, one record per kind of frame, told apart by {@code type}: on the socket, from
 * {@code GET /chat/{room}/messages}, and (messages and notices) as the NOTIFY payload one instance sends the others.
 * Registered for reflection: sockets and the relay write and read them by hand (native images).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.EXISTING_PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = ChatFrame.Message.class, name = ChatFrame.MESSAGE),
    @JsonSubTypes.Type(value = ChatFrame.Joined.class, name = ChatFrame.JOIN),
    @JsonSubTypes.Type(value = ChatFrame.Left.class, name = ChatFrame.LEAVE),
    @JsonSubTypes.Type(value = ChatFrame.Hello.class, name = ChatFrame.HELLO),
    @JsonSubTypes.Type(value = ChatFrame.Failure.class, name = ChatFrame.ERROR)})
@RegisterForReflection
public sealed interface ChatFrame {

    String MESSAGE = "message";
    String JOIN = "join";
    String LEAVE = "leave";
    String HELLO = "hello";
    String ERROR = "error";

    @JsonProperty("type")
    String type();

    /**
     * A stored message: its id counts 1, 2, 3... in its room, in commit order. {@code key} is its sender's own id for
     * it (the sender's acknowledgement); {@code token} a Consistency-Token at or after its commit, which a client sends
     * with its next history request so that the history is not older than what it has seen (set when relayed).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"type", "room", "id", "user", "text", "key", "ts", "token"})
    @RegisterForReflection
    record Message(String room, long id, String user, String text, String key, Instant ts, String token)
            implements ChatFrame {

        static Message of(ChatMessage message) {
            return new Message(message.room, message.id, message.author, message.body, message.clientKey,
                    message.sentAt, null);
        }

        Message withToken(String position) {
            return new Message(room, id, user, text, key, ts, position);
        }

        @Override
        public String type() {
            return MESSAGE;
        }
    }

    /** A member came: announced to the room everywhere, not stored (no id). */
    @JsonPropertyOrder({"type", "room", "user", "ts"})
    @RegisterForReflection
    record Joined(String room, String user, Instant ts) implements ChatFrame {
        @Override
        public String type() {
            return JOIN;
        }
    }

    /** A member went (a killed instance sends none for its members). */
    @JsonPropertyOrder({"type", "room", "user", "ts"})
    @RegisterForReflection
    record Left(String room, String user, Instant ts) implements ChatFrame {
        @Override
        public String type() {
            return LEAVE;
        }
    }

    /**
     * The first frame of a socket: where it is served, and the id after which its messages start; on a first visit
     * with a token for the history of what came before.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"type", "room", "id", "user", "instance", "token"})
    @RegisterForReflection
    record Hello(String room, long id, String user, String instance, String token) implements ChatFrame {
        @Override
        public String type() {
            return HELLO;
        }
    }

    /**
     * A frame refused, or one the primary could not store: status as in HTTP; requestId the id of the socket's upgrade
     * request (its X-Request-Id), which the instance's log lines about this socket carry too.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"type", "status", "title", "detail", "requestId"})
    @RegisterForReflection
    record Failure(int status, String title, String detail, String requestId) implements ChatFrame {
        @Override
        public String type() {
            return ERROR;
        }
    }
}
