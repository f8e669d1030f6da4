package org.acme.users.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.util.function.Supplier;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.acme.users.entity.User;
import org.acme.users.problem.ProblemMappers;
import org.acme.users.repository.UserRepository;

/**
 * Reads run without a transaction (replica); writes run in one (primary). See ReadWriteRouting.
 * Email uniqueness is enforced by the database constraint alone, so concurrent creates cannot race.
 */
@ApplicationScoped
public class UserService {

    /** A read that meets a broken connection is tried again, at most this many times in all. */
    static final int READ_ATTEMPTS = 4;
    /** Before a retry: time for the pool to close its other idle connections (it does so asynchronously). */
    static final long RETRY_PAUSE_MILLIS = 20;

    @Inject
    UserRepository users;

    @Inject
    DatabaseNodes nodes;

    public Optional<User> find(long id) {
        return read(() -> users.findByIdOptional(id));
    }

    public List<User> page(int page, int size) {
        return read(() -> users.page(page, size));
    }

    public long count() {
        return read(users::count);
    }

    /**
     * Reads are idempotent, so a read that failed on a dead pooled connection (the replica was killed, or
     * HAProxy cut its sessions when it marked it down) runs again on a fresh one, which HAProxy sends to the
     * node that is up. The caller sees a slower answer instead of a 503.
     */
    private <T> T read(Supplier<T> query) {
        for (int attempt = 1;; attempt++) {
            try {
                return query.get();
            } catch (RuntimeException e) {
                if (attempt == READ_ATTEMPTS || !ProblemMappers.databaseUnavailable(e)) {
                    throw e;
                }
                nodes.dropIdleConnections();
                pause(RETRY_PAUSE_MILLIS * attempt);
            }
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Transactional
    public User create(String name, String email) {
        User user = new User();
        user.name = name.strip();
        user.email = normalizeEmail(email);
        user.createdAt = now();
        user.updatedAt = user.createdAt;
        users.persistAndFlush(user);
        return user;
    }

    @Transactional
    public Optional<User> update(long id, String name, String email) {
        Optional<User> found = users.findByIdOptional(id);
        found.ifPresent(user -> {
            user.name = name.strip();
            user.email = normalizeEmail(email);
            user.updatedAt = now();
            users.flush(); // surface a duplicate email here, inside the transaction
        });
        return found;
    }

    @Transactional
    public boolean delete(long id) {
        return users.deleteById(id);
    }

    static String normalizeEmail(String email) {
        return email.strip().toLowerCase(Locale.ROOT);
    }

    // PostgreSQL keeps microseconds; returning the same precision keeps responses equal to later reads.
    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }
}
