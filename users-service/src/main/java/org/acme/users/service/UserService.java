package org.acme.users.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.acme.users.entity.User;
import org.acme.users.repository.UserRepository;

/**
 * Reads run without a transaction (replica); writes run in one (primary). See ReadWriteRouting.
 * Email uniqueness is enforced by the database constraint alone, so concurrent creates cannot race.
 */
@ApplicationScoped
public class UserService {

    @Inject
    UserRepository users;

    public Optional<User> find(long id) {
        return users.findByIdOptional(id);
    }

    public List<User> page(int page, int size) {
        return users.page(page, size);
    }

    public long count() {
        return users.count();
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
