package org.acme.users.health;

import io.agroal.api.AgroalDataSource;
import io.quarkus.agroal.DataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.acme.users.routing.ReadWriteRouting;
import org.acme.users.service.DatabaseNodes;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready = this instance can serve reads: the read path answers and the schema is migrated.
 * A dead primary does not make it unready (reads still work, writes answer 503 quickly), so a
 * load balancer keeps sending reads; the write node's state is reported for people.
 */
@Readiness
@ApplicationScoped
public class DatabaseReadiness implements HealthCheck {

    @Inject
    @DataSource(ReadWriteRouting.READ)
    AgroalDataSource read;

    @Inject
    DatabaseNodes nodes;

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("database");
        DatabaseNodes.Node write = nodes.write();
        response.withData("write", write.up() ? write.node() : "down");
        // One query on the read path; naming the table fails until the migrator has created the schema,
        // so instances that do not migrate stay unready until it has.
        try (Connection connection = read.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(
                        "SELECT current_setting('cluster_name'), EXISTS (SELECT 1 FROM users.app_user)")) {
            rs.next();
            return response.withData("read", rs.getString(1)).up().build();
        } catch (Exception e) {
            return response.withData("read", "down: " + e.getMessage()).down().build();
        }
    }
}
