package org.acme.users.chat;

import io.quarkus.hibernate.orm.panache.Panache;
import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.hibernate.query.NativeQuery;

@ApplicationScoped
public class ChatMessageRepository implements PanacheRepositoryBase<ChatMessage, ChatMessage.Key> {

    /**
     * Takes ROOM's next id, stores MESSAGE with it and announces FRAME (MESSAGE's frame with ID_MARK where its id goes)
     * on CHANNEL, all in one statement. The upsert locks the room's row until the caller's transaction ends, so the next
     * message of the room waits for this one to commit or roll back (ids are gapless and in commit order); one round
     * trip instead of three keeps that wait short, which is what bounds the messages a room takes a second.
     *
     * <p>Empty when the author already stored a message with the same key in the room: nothing is stored or announced,
     * and the caller rolls back, which gives the id back. The unique index on (room, author, client_key) decides, not a
     * read before the write: of two frames with one key at the same moment (two sockets, two instances) the later
     * INSERT waits for the earlier one's transaction and then finds the key taken.
     */
    public OptionalLong storeAndAnnounce(ChatMessage message, String channel, String frame, String idMark) {
        List<?> stored = Panache.getEntityManager().createNativeQuery(
                "WITH next AS (INSERT INTO users.chat_rooms AS r (room, last_id) VALUES (:room, 1)"
                        + "   ON CONFLICT (room) DO UPDATE SET last_id = r.last_id + 1 RETURNING last_id),"
                        + " stored AS (INSERT INTO users.chat_messages (room, id, author, body, client_key, sent_at)"
                        + "   SELECT :room, last_id, :author, :body, :key, :sentAt FROM next"
                        + "   ON CONFLICT (room, author, client_key) WHERE client_key IS NOT NULL DO NOTHING RETURNING id)"
                        + " SELECT id, pg_notify(:channel, replace(CAST(:frame AS text), CAST(:idMark AS text), CAST(:idField AS text) || id)) FROM stored")
                .unwrap(NativeQuery.class)
                .setParameter("room", message.room)
                .setParameter("author", message.author).setParameter("body", message.body)
                .setParameter("key", message.clientKey, String.class) // typed: a null key is still text
                .setParameter("sentAt", message.sentAt)
                .setParameter("channel", channel).setParameter("frame", frame)
                .setParameter("idMark", idMark).setParameter("idField", ChatService.ID_FIELD)
                .getResultList();
        return stored.isEmpty() ? OptionalLong.empty() : OptionalLong.of(((Number) ((Object[]) stored.get(0))[0]).longValue());
    }

    public Optional<ChatMessage> findByClientKey(String room, String author, String clientKey) {
        return find("room = ?1 and author = ?2 and clientKey = ?3", room, author, clientKey).firstResultOptional();
    }

    /** Sent to every listening instance when (and only if) the caller's transaction commits. */
    public void announce(String channel, String payload) {
        Panache.getEntityManager().createNativeQuery("SELECT pg_notify(:channel, :payload)")
                .setParameter("channel", channel).setParameter("payload", payload).getSingleResult();
    }
}
