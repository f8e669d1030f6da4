package org.acme.users.routing;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.AgroalConnectionFactoryConfiguration;
import io.agroal.api.security.SimplePassword;
import io.quarkus.agroal.DataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import org.acme.users.config.UsersConfig;

/**
 * Connections to the primary outside the write pool, for the instance's own long-lived work (the chat's LISTEN, the
 * replication heartbeat): requests that exhaust the pool must not silence them, and a pool busy with requests is no
 * sign of a dead primary. They use the write datasource's URL, role and JDBC properties (connect and socket timeouts):
 * one place for them.
 */
@ApplicationScoped
public class PrimaryConnections {

    @Inject
    @DataSource(ReadWriteRouting.WRITE)
    AgroalDataSource write;

    @Inject
    UsersConfig config;

    /** A new connection (autocommit), named PURPOSE in pg_stat_activity after the instance. */
    public Connection open(String purpose) throws SQLException {
        AgroalConnectionFactoryConfiguration factory = write.getConfiguration().connectionPoolConfiguration()
                .connectionFactoryConfiguration();
        Properties properties = new Properties();
        properties.putAll(factory.jdbcProperties());
        if (factory.principal() != null) {
            properties.setProperty("user", factory.principal().getName());
        }
        for (Object credential : factory.credentials()) {
            if (credential instanceof SimplePassword password) {
                properties.setProperty("password", password.getWord());
            }
        }
        properties.setProperty("ApplicationName", config.instanceName() + "-" + purpose);
        return DriverManager.getConnection(factory.jdbcUrl(), properties);
    }
}
