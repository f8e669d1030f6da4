package org.acme.users.service;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Optional;
import org.acme.users.config.UsersConfig;
import org.acme.users.consistency.FreshReads;
import org.acme.users.entity.User;
import org.acme.users.problem.UserNotFoundException;
import org.acme.users.repository.IdempotencyKeyRepository;
import org.acme.users.repository.UserLookup;
import org.acme.users.repository.UserRepository;
import org.acme.users.repository.UserRows;

/**
 * Reads go through FreshReads, which names the datasource of each attempt: the replica, or the primary (as the read-only
 * reader role) when the replica is too stale or has not applied the client's token. Writes run in a transaction on the
 * write datasource (the primary; see ReadWriteRouting).
 * <p>
 * Every write is safe against a request that changes the same row at the same moment (docs/architecture.md, "Writes
 * under races"): nothing is loaded and then flushed. A change is one conditional statement whose row count is the
 * answer (UPDATE or DELETE ... WHERE id, 0 rows: 404); uniqueness is the database's constraints alone (a duplicate
 * email: 409); keys are claimed with INSERT ... ON CONFLICT. A transaction PostgreSQL still aborts for a concurrent one
 * (a deadlock) runs once more ({@link RetryIfNotCommitted}).
 */
@ApplicationScoped
public class UserService {

    @Inject
    UserRepository users;

    @Inject
    IdempotencyKeyRepository idempotencyKeys;

    @Inject
    FreshReads reads;

    @Inject
    UserLookup lookup;

    @Inject
    UsersConfig config;

    /** A create that carried an Idempotency-Key: the user, and whether an earlier request with the key made it. */
    public record Created(User user, boolean replayed) {
    }

    /**
     * The user, on the event loop with the reactive client, or on a worker thread with JDBC ({@code users.read.driver}).
     * A "not found" for a request with a token is confirmed on the primary.
     */
    public Uni<Optional<User>> find(long id) {
        if (config.read().driver() == UsersConfig.ReadDriver.REACTIVE) {
            return reads.onEventLoop(pool -> UserRows.byId(pool, id), Optional::isEmpty);
        }
        return reads.onWorker(datasource -> lookup.byId(datasource, id), Optional::isEmpty);
    }

    /** One page and the total, from one node. */
    public Uni<UserLookup.Page> page(int page, int size) {
        if (config.read().driver() == UsersConfig.ReadDriver.REACTIVE) {
            return reads.onEventLoop(pool -> UserRows.page(pool, page, size), found -> false);
        }
        return reads.onWorker(datasource -> lookup.page(datasource, page, size), found -> false);
    }

    @Transactional
    @RetryIfNotCommitted
    public User create(String name, String email) {
        User user = new User();
        user.name = name.strip();
        user.email = normalizeEmail(email);
        user.createdAt = now();
        user.updatedAt = user.createdAt;
        users.persistAndFlush(user);
        return user;
    }

    /**
     * Creates the user once per key: a repeated request (the client's retry, or nginx resending it to another
     * instance) gets the user the first one created. The key and the user commit together, or neither does,
     * so a create that failed (409, 503) leaves the key free for the retry.
     */
    @Transactional
    @RetryIfNotCommitted
    public Created createOnce(String idempotencyKey, String name, String email) {
        idempotencyKeys.forgetExpired();
        Optional<Long> earlier = idempotencyKeys.claim(idempotencyKey, fingerprint(name, email));
        if (earlier.isPresent()) {
            long id = earlier.get();
            return new Created(users.findByIdOptional(id).orElseThrow(() -> new UserNotFoundException(id)), true);
        }
        User user = create(name, email);
        idempotencyKeys.recordUser(idempotencyKey, user.id);
        return new Created(user, false);
    }

    /**
     * Last writer wins: the row becomes exactly this request's name and email, and the answer is the row as this
     * statement left it. Empty when there is no such user (never was, or a DELETE committed first).
     */
    @Transactional
    @RetryIfNotCommitted
    public Optional<User> update(long id, String name, String email) {
        return users.update(id, name.strip(), normalizeEmail(email), now());
    }

    /** False when there is no such user: never was, or another DELETE committed first. */
    @Transactional
    @RetryIfNotCommitted
    public boolean delete(long id) {
        return users.remove(id);
    }

    /** The request as the service understands it: a retry must carry the same name and email. */
    static String fingerprint(String name, String email) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((name.strip() + '\n' + normalizeEmail(email)).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JVM has SHA-256
        }
    }

    static String normalizeEmail(String email) {
        return email.strip().toLowerCase(Locale.ROOT);
    }

    // PostgreSQL keeps microseconds; returning the same precision keeps responses equal to later reads.
    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }
}
