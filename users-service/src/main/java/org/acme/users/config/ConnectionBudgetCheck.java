package org.acme.users.config;

import io.agroal.api.AgroalDataSource;
import io.quarkus.agroal.DataSource;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import org.acme.users.routing.ReadWriteRouting;
import org.jboss.logging.Logger;

/**
 * Refuses to start an instance whose pools, times the instance count, would not fit a database node
 * ({@link ConnectionBudget}): better now, with the settings named, than "too many clients" under load after a failure.
 * Runs first among the start-up observers, before anything opens a connection (the migration, the chat listener, the
 * heartbeat), and needs no database: the pool sizes are the datasources' own configuration, the rest comes from
 * {@link UsersConfig.Budget}. The one-shot migrator is not checked: its pools are part of each node's reserve.
 */
@ApplicationScoped
public class ConnectionBudgetCheck {

    private static final Logger LOG = Logger.getLogger(ConnectionBudgetCheck.class);

    @Inject
    UsersConfig config;

    @Inject
    @DataSource(ReadWriteRouting.WRITE)
    AgroalDataSource write;

    @Inject
    @DataSource(ReadWriteRouting.READ_PRIMARY)
    AgroalDataSource readPrimary;

    @Inject
    @DataSource(ReadWriteRouting.READ)
    AgroalDataSource read;

    @Inject
    @DataSource("migrate-primary")
    Instance<AgroalDataSource> migratePrimary;

    @Inject
    @DataSource("migrate-replica")
    Instance<AgroalDataSource> migrateReplica;

    void check(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event) {
        if (config.migration().exitWhenDone()) {
            return;
        }
        ConnectionBudget budget = budget();
        if (!budget.problems().isEmpty()) {
            String refusal = budget.refusal();
            LOG.error(refusal);
            throw new ConnectionBudgetExceededException(refusal);
        }
        LOG.info(budget.summary());
    }

    /** This instance's budget, from its configuration. */
    public ConnectionBudget budget() {
        boolean migrates = config.migration().enabled();
        UsersConfig.Budget settings = config.budget();
        return new ConnectionBudget(settings.instances(),
                new ConnectionBudget.Pools(maxSize(write), maxSize(readPrimary), maxSize(read),
                        migrates ? maxSize(migratePrimary.get()) : 0, migrates ? maxSize(migrateReplica.get()) : 0,
                        config.read().reactivePoolSize()),
                ConnectionBudget.Node.primary(settings.primary().maxConnections(), settings.primary().reserved()),
                ConnectionBudget.Node.replica(settings.replica().maxConnections(), settings.replica().reserved()));
    }

    private static int maxSize(AgroalDataSource dataSource) {
        return dataSource.getConfiguration().connectionPoolConfiguration().maxSize();
    }

    /** Thrown at start when the budget does not hold: the application does not start. */
    public static final class ConnectionBudgetExceededException extends RuntimeException {
        ConnectionBudgetExceededException(String message) {
            super(message);
        }
    }
}
