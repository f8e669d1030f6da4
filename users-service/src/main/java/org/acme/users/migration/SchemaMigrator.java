package org.acme.users.migration;

import io.agroal.api.AgroalDataSource;
import io.quarkus.agroal.DataSource;
import io.quarkus.flyway.FlywayDataSource;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import org.acme.users.config.UsersConfig;
import org.flywaydb.core.Flyway;
import org.jboss.logging.Logger;

/**
 * The single migrator (only the instance started with USERS_MIGRATE=true runs this):
 * schema to the replica first, then schema + data to the primary, then REFRESH PUBLICATION so that
 * new tables join the subscription and get their initial copy. Data migrations run on the primary
 * only: logical replication carries the rows. Flyway's advisory lock keeps a concurrent start safe.
 */
@ApplicationScoped
public class SchemaMigrator {

    static final String PRIMARY = "migrate-primary";
    static final String REPLICA = "migrate-replica";
    private static final Logger LOG = Logger.getLogger(SchemaMigrator.class);

    @Inject
    UsersConfig config;

    void onStart(@Observes StartupEvent event,
            @FlywayDataSource(REPLICA) Instance<Flyway> replicaFlyway,
            @FlywayDataSource(PRIMARY) Instance<Flyway> primaryFlyway,
            @DataSource(REPLICA) Instance<AgroalDataSource> replicaSuperuser) throws Exception {
        if (!config.migration().enabled()) {
            return;
        }
        int replicaApplied = replicaFlyway.get().migrate().migrationsExecuted;
        int primaryApplied = primaryFlyway.get().migrate().migrationsExecuted;
        // ALTER SUBSCRIPTION ... REFRESH cannot run in a transaction block: autocommit connection.
        try (Connection connection = replicaSuperuser.get().getConnection();
                Statement statement = connection.createStatement()) {
            connection.setAutoCommit(true);
            // Flyway's init-sql (SET ROLE users_owner) ran on pooled connections: back to the superuser
            statement.execute("RESET ROLE");
            statement.execute("ALTER SUBSCRIPTION " + config.subscription() + " REFRESH PUBLICATION");
        }
        LOG.infof("Migrations applied: %d on the replica, %d on the primary; subscription %s refreshed",
                replicaApplied, primaryApplied, config.subscription());
        if (config.migration().exitWhenDone()) {
            Quarkus.asyncExit(0);
        }
    }
}
