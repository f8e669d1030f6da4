package org.acme.users.repository;

import io.quarkus.hibernate.orm.PersistenceUnitExtension;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import org.acme.users.config.UsersConfig;
import org.acme.users.entity.User;
import org.acme.users.routing.ReadWriteRouting;
import org.hibernate.SessionFactory;
import org.hibernate.StatelessSession;

/**
 * The by-id read, the service's hottest path. A row that is only serialized needs no persistence context: a stateless
 * session skips the snapshot, the load events and the request-scoped session (docs/benchmarks.md has the before and
 * after). The datasource is the one ReadWriteRouting picks for this thread, as for any other read.
 */
@ApplicationScoped
public class UserLookup {

    @Inject
    SessionFactory sessions;

    @Inject
    @PersistenceUnitExtension
    ReadWriteRouting routing;

    @Inject
    UserRepository users;

    @Inject
    UsersConfig config;

    public Optional<User> byId(long id) {
        if (!config.read().statelessById()) {
            return users.findByIdOptional(id);
        }
        try (StatelessSession session = sessions.withStatelessOptions()
                .tenantIdentifier((Object) routing.resolveTenantId()).openStatelessSession()) {
            return Optional.ofNullable(session.get(User.class, id));
        }
    }
}
