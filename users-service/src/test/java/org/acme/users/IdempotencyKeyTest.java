package org.acme.users;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** POST /users with an Idempotency-Key creates at most once per key: what makes resending a create safe. */
@QuarkusTest
@WithTestResource(PostgresPair.class)
class IdempotencyKeyTest {

    static Response post(String key, String name, String email) {
        var request = given().contentType(ContentType.JSON).body("{\"name\":\"" + name + "\",\"email\":\"" + email + "\"}");
        return (key == null ? request : request.header("Idempotency-Key", key)).post("/users");
    }

    static String rowsWithEmail(String email) throws Exception {
        return PostgresPair.current.query(PostgresPair.PRIMARY, "owner",
                "SELECT count(*) FROM users.app_user WHERE email = '" + email + "'");
    }

    @Test
    void theSameRequestWithTheSameKeyCreatesOnceAndReplaysTheUser() throws Exception {
        String key = UUID.randomUUID().toString();
        String email = TestData.uniqueEmail();
        Response first = post(key, "Once", email);
        first.then().statusCode(201).header("Idempotent-Replayed", (String) null);
        long id = first.jsonPath().getLong("id");

        // the retry: same key, same request (the email differs in case only: the same request once normalized)
        post(key, " Once ", email.toUpperCase()).then().statusCode(201)
                .header("Idempotent-Replayed", "true")
                .header("Location", first.header("Location"))
                .body("id", equalTo((int) id))
                .body("email", equalTo(email));
        assertEquals("1", rowsWithEmail(email));
        // without the key the same request is a duplicate
        TestData.problem(post(null, "Once", email).then(), 409);
    }

    @Test
    void aKeyReusedForAnotherRequestIs422AndWritesNothing() throws Exception {
        String key = UUID.randomUUID().toString();
        post(key, "First", TestData.uniqueEmail()).then().statusCode(201);
        String other = TestData.uniqueEmail();
        TestData.problem(post(key, "Second", other).then(), 422)
                .body("errors[0].field", equalTo("Idempotency-Key"))
                .body("detail", containsString("Idempotency-Key"))
                .body("detail", not(containsString(key))); // a problem never repeats the client's input (issue #12)
        assertEquals("0", rowsWithEmail(other));
    }

    @Test
    void malformedKeysAre400AndWriteNothing() throws Exception {
        for (String key : List.of("a".repeat(256), "with space", "with\ttab")) {
            String email = TestData.uniqueEmail();
            TestData.problem(post(key, "Bad key", email).then().log().ifValidationFails(), 400)
                    .body("errors[0].field", equalTo("Idempotency-Key"));
            assertEquals("0", rowsWithEmail(email));
        }
    }

    @Test
    void aFailedCreateLeavesTheKeyFree() throws Exception {
        String taken = TestData.uniqueEmail();
        TestData.createUser("Taken", taken);
        String key = UUID.randomUUID().toString();
        TestData.problem(post(key, "Clash", taken).then(), 409);
        // nothing was stored under the key: a corrected request with it succeeds
        String email = TestData.uniqueEmail();
        post(key, "Corrected", email).then().statusCode(201).header("Idempotent-Replayed", (String) null);
        assertEquals("1", rowsWithEmail(email));
    }

    @Test
    void concurrentRequestsWithOneKeyCreateExactlyOneUser() throws Exception {
        String key = UUID.randomUUID().toString();
        String email = TestData.uniqueEmail();
        var pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Response>> responses = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                responses.add(pool.submit(() -> post(key, "Racer", email)));
            }
            Set<Long> ids = new HashSet<>();
            int replayed = 0;
            for (Future<Response> response : responses) {
                Response r = response.get(30, TimeUnit.SECONDS);
                assertEquals(201, r.statusCode(), r.asString());
                ids.add(r.jsonPath().getLong("id"));
                replayed += "true".equals(r.header("Idempotent-Replayed")) ? 1 : 0;
            }
            assertEquals(1, ids.size(), "every request got the same user");
            assertEquals(7, replayed, "one created it, seven were replays");
            assertEquals("1", rowsWithEmail(email));
        } finally {
            pool.shutdownNow();
        }
    }
}
