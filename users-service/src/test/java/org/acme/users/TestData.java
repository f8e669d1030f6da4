package org.acme.users;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import java.sql.SQLException;
import java.util.UUID;

/** What the service's tests share: unique values, a user made through the API, the problem format, the nodes' rows. */
final class TestData {

    private TestData() {
    }

    static String uniqueEmail() {
        return "u-" + UUID.randomUUID() + "@example.org";
    }

    static String uniqueRoom() {
        return "room-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A user created through the API (201); its id. */
    static long createUser(String name, String email) {
        return given().contentType(ContentType.JSON)
                .body("{\"name\":\"" + name + "\",\"email\":\"" + email + "\"}")
                .post("/users")
                .then().statusCode(201)
                .extract().jsonPath().getLong("id");
    }

    /** An RFC 9457 problem with STATUS, from this instance, whose requestId is the answer's X-Request-Id. */
    static ValidatableResponse problem(ValidatableResponse response, int status) {
        ValidatableResponse problem = response.log().ifValidationFails().statusCode(status)
                .contentType("application/problem+json")
                .header("X-Served-By", "test-instance")
                .body("status", equalTo(status))
                .body("title", notNullValue())
                .body("type", notNullValue());
        String id = problem.extract().header("X-Request-Id");
        assertTrue(id != null && id.matches("[A-Za-z0-9._:-]{1,64}"), "X-Request-Id: " + id);
        return problem.body("requestId", equalTo(id));
    }

    static long usersOnPrimary() throws Exception {
        return Long.parseLong(PostgresPair.current.query(PostgresPair.PRIMARY, "owner", "SELECT count(*) FROM users.app_user"));
    }

    static long messagesOnPrimary(String room) throws Exception {
        return Long.parseLong(PostgresPair.current.query(PostgresPair.PRIMARY, "owner",
                "SELECT count(*) FROM users.chat_messages WHERE room = '" + room + "'"));
    }

    static boolean onReplica(long id) throws SQLException {
        return PostgresPair.current.query(PostgresPair.REPLICA, "reader", "SELECT 1 FROM users.app_user WHERE id = " + id) != null;
    }

    /** Waits (at most 10 s) until the replica has user ID. */
    static void awaitOnReplica(long id) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!onReplica(id)) {
            assertTrue(System.nanoTime() < deadline, "row " + id + " replicated within 10 s");
            Thread.sleep(50);
        }
    }
}
