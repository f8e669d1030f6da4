package org.acme.users;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A write whose database session PostgreSQL ended before its commit (an instance frozen mid-transaction past the
 * writer role's idle-in-transaction bound: the compose freeze-service scenario) runs again on another connection,
 * stores its row once and answers as if nothing had happened; the closed connection it leaves in the pool is not
 * handed to the next request as a 503. Against the real PostgreSQL pair.
 */
@QuarkusTest
@WithTestResource(PostgresPair.class)
class SessionEndedRetryTest {

    @Inject
    StallingWrites writes;

    @Test
    void aWriteWhoseSessionEndedBeforeTheCommitRunsAgainAndIsStoredOnce() throws Exception {
        String email = "stalled-" + UUID.randomUUID() + "@example.com";
        double retriesBefore = sessionEndedRetries();

        int attempts = writes.insertStallingOnce("Stalled Writer", email);

        assertTrue(attempts >= 2, "the first attempt's session was ended, the write ran again: " + attempts);
        assertEquals("1", PostgresPair.current.query(PostgresPair.PRIMARY, "owner",
                "SELECT count(*) FROM users.app_user WHERE email = '" + email + "'"), "stored once");
        assertEquals(attempts - 1, sessionEndedRetries() - retriesBefore, 0.0,
                "users_write_retries_total{reason=\"session-ended\"} counts each run again");

        // at once (inside the pool's 1 s validation interval), creates through the API: none meets a closed
        // connection as a 503
        for (int i = 0; i < 5; i++) {
            given().contentType(ContentType.JSON)
                    .body("{\"name\":\"After The Stall\",\"email\":\"after-" + i + "-" + UUID.randomUUID() + "@example.com\"}")
                    .post("/users").then().statusCode(201);
        }
    }

    private static double sessionEndedRetries() {
        return given().get(Management.url("/metrics")).then().statusCode(200).extract().asString().lines()
                .filter(line -> line.startsWith("users_write_retries_total{") && line.contains("reason=\"session-ended\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }
}
