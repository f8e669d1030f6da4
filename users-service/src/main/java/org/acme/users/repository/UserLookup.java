package org.acme.users.repository;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;
import org.acme.users.entity.User;
import org.hibernate.SessionFactory;
import org.hibernate.StatelessSession;

/**
 * The hot reads on JDBC (the driver {@code users.read.driver=jdbc}; {@link UserRows} is the same on the reactive
 * client), each on the datasource its caller names: the read's route decides it, not the thread's transaction. A row
 * that is only serialized needs no persistence context: a stateless session skips the snapshot, the load events and the
 * request-scoped session (docs/benchmarks.md has the before and after).
 */
@ApplicationScoped
public class UserLookup {

    /** One page and the total, from one node. */
    public record Page(List<User> items, long total) {
    }

    @Inject
    SessionFactory sessions;

    public Optional<User> byId(String datasource, long id) {
        try (StatelessSession session = open(datasource)) {
            return Optional.ofNullable(session.get(User.class, id));
        }
    }

    /** A stable page: ordered by id, so pages neither overlap nor skip while rows are added. */
    public Page page(String datasource, int page, int size) {
        try (StatelessSession session = open(datasource)) {
            List<User> items = session.createSelectionQuery("from User order by id", User.class)
                    .setFirstResult(page * size).setMaxResults(size).getResultList();
            long total = session.createSelectionQuery("select count(*) from User", Long.class).getSingleResult();
            return new Page(items, total);
        }
    }

    private StatelessSession open(String datasource) {
        return sessions.withStatelessOptions().tenantIdentifier((Object) datasource).openStatelessSession();
    }
}
