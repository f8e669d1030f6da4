package org.acme.users;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** Real logical replication between the two clusters, and the roles that protect the read path. */
@QuarkusTest
@WithTestResource(PostgresPair.class)
class ReplicationTest {

    @Test
    void dbEndpointShowsReadsOnTheReplicaAndWritesOnThePrimary() {
        given().get("/db").then().statusCode(200)
                .body("read.up", equalTo(true))
                .body("read.node", equalTo(PostgresPair.REPLICA))
                .body("write.up", equalTo(true))
                .body("write.node", equalTo(PostgresPair.PRIMARY));
    }

    @Test
    void createdUserIsServedByTheReplica() throws Exception {
        String email = TestData.uniqueEmail();
        long id = TestData.createUser("Replicated", email);
        // the row reaches the replica itself (asynchronous: bounded poll)...
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!TestData.onReplica(id) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(TestData.onReplica(id), "row replicated to the replica within 10 s");
        // ...and the API's read of it is served there
        given().get("/users/" + id).then().statusCode(200).body("email", equalTo(email));
        given().get("/db").then().body("read.node", equalTo(PostgresPair.REPLICA));
    }

    @Test
    void seedDataReplicatedThroughTheSubscription() throws Exception {
        assertEquals("3", PostgresPair.current.query(PostgresPair.REPLICA, "reader",
                "SELECT count(*) FROM users.app_user WHERE email IN "
                        + "('ada@example.org', 'alan@example.org', 'grace@example.org')"));
    }

    @Test
    void flywayHistoryIsNotReplicatedAndReplicaGotSchemaOnly() throws Exception {
        String applied = "SELECT string_agg(version, ',' ORDER BY installed_rank) FROM flyway.flyway_schema_history"
                + " WHERE version IS NOT NULL";
        assertEquals("1,3,4,5", PostgresPair.current.query(PostgresPair.REPLICA, "owner", applied),
                "the replica applied the schema migrations only");
        assertEquals("1,2,3,4,5", PostgresPair.current.query(PostgresPair.PRIMARY, "owner", applied));
        // the history table is not in the published schema
        assertEquals("0", PostgresPair.current.query(PostgresPair.PRIMARY, "owner",
                "SELECT count(*) FROM pg_publication_tables WHERE tablename = 'flyway_schema_history'"));
    }

    @Test
    void readerRoleCannotWriteOnEitherNode() throws Exception {
        for (String node : new String[] {PostgresPair.PRIMARY, PostgresPair.REPLICA}) {
            try (Connection c = PostgresPair.current.connect(node, "reader"); Statement s = c.createStatement()) {
                SQLException readOnly = assertThrows(SQLException.class, () -> s.executeUpdate(
                        "INSERT INTO users.app_user (name, email) VALUES ('x', 'reader@example.org')"));
                assertEquals("25006", readOnly.getSQLState(), node + ": read-only transaction");
                // even after lifting read-only, the role has no INSERT privilege
                s.execute("SET default_transaction_read_only = off");
                SQLException denied = assertThrows(SQLException.class, () -> s.executeUpdate(
                        "INSERT INTO users.app_user (name, email) VALUES ('x', 'reader@example.org')"));
                assertEquals("42501", denied.getSQLState(), node + ": permission denied");
                assertThrows(SQLException.class, () -> s.execute("CREATE TABLE users.evil (id int)"));
            }
        }
    }

    @Test
    void writerRoleCannotChangeTheSchema() throws Exception {
        try (Connection c = PostgresPair.current.connect(PostgresPair.PRIMARY, "writer"); Statement s = c.createStatement()) {
            SQLException denied = assertThrows(SQLException.class, () -> s.execute("DROP TABLE users.app_user"));
            assertEquals("42501", denied.getSQLState());
        }
    }
}
