package org.acme.users.repository;

import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import java.util.Optional;
import org.acme.users.problem.IdempotencyKeyReusedException;

/** Idempotency keys of creates (table users.idempotency_key). Every method runs inside the caller's write transaction. */
@ApplicationScoped
public class IdempotencyKeyRepository {

    /** How long a key is remembered. */
    public static final String RETENTION = "24 hours";

    /**
     * Claims KEY for this transaction, or finds the user an earlier request with it created. The INSERT waits
     * while another transaction holds the same key, so concurrent requests with one key see exactly one winner.
     *
     * @return empty when the key is ours now; the earlier user's id when it was used before with the same request
     * @throws IdempotencyKeyReusedException when it was used before with a different request
     */
    public Optional<Long> claim(String key, String fingerprint) {
        EntityManager em = Panache.getEntityManager();
        int inserted = em.createNativeQuery("INSERT INTO users.idempotency_key (key, fingerprint) VALUES (:key, :fingerprint)"
                + " ON CONFLICT (key) DO NOTHING")
                .setParameter("key", key).setParameter("fingerprint", fingerprint).executeUpdate();
        if (inserted == 1) {
            return Optional.empty();
        }
        Object[] earlier = (Object[]) em.createNativeQuery(
                "SELECT fingerprint, user_id FROM users.idempotency_key WHERE key = :key")
                .setParameter("key", key).getSingleResult();
        if (!fingerprint.equals(earlier[0])) {
            throw new IdempotencyKeyReusedException(key);
        }
        return Optional.of(((Number) earlier[1]).longValue());
    }

    public void recordUser(String key, long userId) {
        Panache.getEntityManager().createNativeQuery("UPDATE users.idempotency_key SET user_id = :id WHERE key = :key")
                .setParameter("id", userId).setParameter("key", key).executeUpdate();
    }

    /** Forgets keys older than the retention (an index range scan that finds nothing, most of the time). */
    public void forgetExpired() {
        Panache.getEntityManager().createNativeQuery(
                "DELETE FROM users.idempotency_key WHERE created_at < now() - interval '" + RETENTION + "'")
                .executeUpdate();
    }
}
