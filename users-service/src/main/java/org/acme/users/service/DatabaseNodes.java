package org.acme.users.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.agroal.api.AgroalDataSource;
import io.quarkus.agroal.DataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.acme.users.routing.ReadWriteRouting;

/** Which database node each datasource reaches right now: the node's cluster_name. */
@ApplicationScoped
public class DatabaseNodes {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Node(String datasource, boolean up, String node, String error) {
    }

    @Inject
    @DataSource(ReadWriteRouting.READ)
    AgroalDataSource read;

    @Inject
    @DataSource(ReadWriteRouting.WRITE)
    AgroalDataSource write;

    public Node read() {
        return probe(ReadWriteRouting.READ, read);
    }

    public Node write() {
        return probe(ReadWriteRouting.WRITE, write);
    }

    /**
     * After a connection failure the other idle connections of both pools most likely lead to the same dead
     * node (or were cut by HAProxy): close them (asynchronously), so the next requests connect afresh.
     */
    public void dropIdleConnections() {
        read.flush(AgroalDataSource.FlushMode.IDLE);
        write.flush(AgroalDataSource.FlushMode.IDLE);
    }

    private static Node probe(String name, AgroalDataSource dataSource) {
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT current_setting('cluster_name')")) {
            rs.next();
            return new Node(name, true, rs.getString(1), null);
        } catch (Exception e) {
            return new Node(name, false, null, e.getMessage());
        }
    }
}
