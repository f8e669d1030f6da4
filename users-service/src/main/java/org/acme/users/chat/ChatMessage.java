package org.acme.users.chat;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;

/** A chat message: its id counts up within its room, without gaps, in commit order (see V4__chat.sql). */
@Entity
@Table(name = "chat_messages", schema = "users")
@IdClass(ChatMessage.Key.class)
public class ChatMessage {

    @Id
    public String room;

    @Id
    public long id;

    @Column(nullable = false, length = 64)
    public String author;

    @Column(nullable = false, length = 1000)
    public String body;

    @Column(name = "client_key")
    public String clientKey;

    @Column(name = "sent_at", nullable = false)
    public Instant sentAt;

    public static class Key implements Serializable {
        public String room;
        public long id;

        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && key.id == id && Objects.equals(key.room, room);
        }

        @Override
        public int hashCode() {
            return Objects.hash(room, id);
        }
    }
}
