package org.acme.users.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.time.Instant;
import org.acme.users.entity.ChatMessage;

/**
 * What chat clients receive: on the socket, from {@code GET /chat/{room}/messages}, and, as the NOTIFY payload,
 * what one instance tells the others. {@code message} frames carry their id in the room; {@code join}/{@code leave}
 * notices are not stored and have none; {@code hello} opens every socket, with the id its messages start after;
 * {@code error} answers a bad frame. A message's {@code key} is the one its sender gave: the sender's acknowledgement.
 * A message sent on a socket carries a {@code token}: a Consistency-Token at or after its commit, which a client
 * sends with {@code GET /chat/{room}/messages} so that the history it reads is not older than what it has seen.
 * Registered for reflection: sockets and the relay write and read it by hand (native images), not only the history
 * endpoint, whose signature would register it today.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@RegisterForReflection
public record ChatFrame(String type, String room, Long id, String user, String text, String key, Instant ts,
        String instance, Integer status, String title, String detail, String token) {

    public static final String MESSAGE = "message";
    public static final String JOIN = "join";
    public static final String LEAVE = "leave";
    public static final String HELLO = "hello";
    public static final String ERROR = "error";

    public static ChatFrame of(ChatMessage message) {
        return new ChatFrame(MESSAGE, message.room, message.id, message.author, message.body, message.clientKey,
                message.sentAt, null, null, null, null, null);
    }

    public static ChatFrame notice(String type, String room, String user, Instant ts) {
        return new ChatFrame(type, room, null, user, null, null, ts, null, null, null, null, null);
    }

    /** The first frame of a socket: where it is served, and the id after which its messages start. */
    public static ChatFrame hello(String room, String user, String instance, long after) {
        return new ChatFrame(HELLO, room, after, user, null, null, null, instance, null, null, null, null);
    }

    /** This frame with a consistency token (a position at or after its commit). */
    public ChatFrame withToken(String position) {
        return new ChatFrame(type, room, id, user, text, key, ts, instance, status, title, detail, position);
    }

    public static ChatFrame error(int status, String title, String detail) {
        return new ChatFrame(ERROR, null, null, null, null, null, null, null, status, title, detail, null);
    }
}
