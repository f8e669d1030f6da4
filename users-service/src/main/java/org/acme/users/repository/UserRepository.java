package org.acme.users.repository;

import io.quarkus.hibernate.orm.panache.PanacheRepository;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.acme.users.entity.User;

/**
 * Queries of users. The writes are single conditional statements, never a row loaded and flushed later: between
 * the load and the flush another transaction may change or delete the row, and the flush then finds nothing (an
 * OptimisticLockException at commit, a 500). A statement takes the row's lock itself and counts what it changed.
 */
@ApplicationScoped
public class UserRepository implements PanacheRepository<User> {

    /**
     * Sets the user's name, email and update time in one statement and returns the row as it stored it, or empty when
     * no row has the id. A concurrent UPDATE of the row commits first or waits for this one (last writer wins); a
     * concurrent DELETE that committed first leaves no row to change (empty). A taken email fails the statement
     * (unique constraint: 409).
     */
    public Optional<User> update(long id, String name, String email, Instant updatedAt) {
        @SuppressWarnings("unchecked")
        List<User> updated = getEntityManager().createNativeQuery("UPDATE users.app_user"
                + " SET name = :name, email = :email, updated_at = :updatedAt WHERE id = :id"
                + " RETURNING id, name, email, created_at, updated_at", User.class)
                .setParameter("name", name).setParameter("email", email).setParameter("updatedAt", updatedAt)
                .setParameter("id", id).getResultList();
        return updated.stream().findFirst();
    }

    /** Deletes the user in one statement (a bulk DELETE ... WHERE id): false when no row had the id. */
    public boolean remove(long id) {
        return delete("id", id) == 1;
    }
}
