package org.acme.users;

import io.agroal.api.AgroalDataSource;
import io.quarkus.agroal.DataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.acme.users.service.RetryIfNotCommitted;

/**
 * A write that behaves as one on an instance frozen mid-transaction (SessionEndedRetryTest): its first attempt sits
 * idle in its transaction past PostgreSQL's bound, so PostgreSQL ends the session before the insert arrives.
 */
@ApplicationScoped
public class StallingWrites {

    final AtomicInteger attempts = new AtomicInteger();

    @Inject
    @DataSource("write")
    AgroalDataSource write;

    @Transactional
    @RetryIfNotCommitted
    public int insertStallingOnce(String name, String email) throws SQLException, InterruptedException {
        int attempt = attempts.incrementAndGet();
        try (Connection connection = write.getConnection()) {
            if (attempt == 1) {
                try (Statement statement = connection.createStatement()) {
                    // the writer role's own bound is 3 s; a shorter one for this transaction only
                    statement.execute("SET LOCAL idle_in_transaction_session_timeout = '200ms'");
                }
                Thread.sleep(1_000);
            }
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO users.app_user"
                    + " (name, email, created_at, updated_at) VALUES (?, ?, now(), now())")) {
                insert.setString(1, name);
                insert.setString(2, email);
                insert.executeUpdate();
            }
        }
        return attempt;
    }
}
