package org.acme.users.chat;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import org.acme.users.routing.ReadWriteRouting;
import org.hibernate.SessionFactory;
import org.hibernate.StatelessSession;

/**
 * The chat's reads, each on the datasource its caller names (the read's route decides it, as for the users' reads in
 * UserLookup): a transaction around a caller changes nothing. Stateless sessions: the rows are only serialized.
 */
@ApplicationScoped
public class ChatHistory {

    /** VALUE, read from the primary, and the primary's WAL position read after it: at or after its commit. */
    public record Positioned<T>(T value, String walPosition) {
    }

    @Inject
    SessionFactory sessions;

    /** At most LIMIT messages of ROOM with an id above AFTER, oldest first, from DATASOURCE. */
    public List<ChatMessage> after(String datasource, String room, long after, int limit) {
        try (StatelessSession session = open(datasource)) {
            return after(session, room, after, limit);
        }
    }

    /** {@link #after} from the primary as the reader role, with the position read after them on the same node. */
    public Positioned<List<ChatMessage>> afterOnPrimary(String room, long after, int limit) {
        try (StatelessSession session = open(ReadWriteRouting.READ_PRIMARY)) {
            List<ChatMessage> messages = after(session, room, after, limit);
            return new Positioned<>(messages, walPosition(session));
        }
    }

    /** The id of ROOM's newest message (0 for a room without any) from the primary, and the position read after it. */
    public Positioned<Long> lastIdOnPrimary(String room) {
        try (StatelessSession session = open(ReadWriteRouting.READ_PRIMARY)) {
            List<Long> found = session.createNativeQuery("SELECT last_id FROM users.chat_rooms WHERE room = :room", Long.class)
                    .setParameter("room", room).getResultList();
            return new Positioned<>(found.isEmpty() ? 0L : found.get(0), walPosition(session));
        }
    }

    private static List<ChatMessage> after(StatelessSession session, String room, long after, int limit) {
        return session.createSelectionQuery("from ChatMessage where room = :room and id > :after order by id",
                        ChatMessage.class)
                .setParameter("room", room).setParameter("after", after).setMaxResults(limit).getResultList();
    }

    /** The primary's WAL insert position now: at or after the commit of everything read before it. */
    private static String walPosition(StatelessSession session) {
        return session.createNativeQuery("SELECT pg_current_wal_insert_lsn()::text", String.class).getSingleResult();
    }

    private StatelessSession open(String datasource) {
        return sessions.withStatelessOptions().tenantIdentifier((Object) datasource).openStatelessSession();
    }
}
