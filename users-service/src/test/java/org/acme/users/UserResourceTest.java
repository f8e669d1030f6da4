package org.acme.users;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(PostgresPair.class)
class UserResourceTest {

    @Test
    void createReturns201WithLocationAndBody() {
        String email = TestData.uniqueEmail();
        var response = given().contentType(ContentType.JSON)
                .body("{\"name\":\"  Katherine Johnson \",\"email\":\"" + email.toUpperCase() + "\"}")
                .post("/users")
                .then().statusCode(201)
                .header("Location", containsString("/users/"))
                .header("X-Served-By", "test-instance")
                .body("name", equalTo("Katherine Johnson"))
                .body("email", equalTo(email))
                .body("createdAt", notNullValue())
                .extract();
        long id = response.jsonPath().getLong("id");
        assertEquals(true, response.header("Location").endsWith("/users/" + id));
    }

    @Test
    void emailIsTrimmedBeforeItIsValidated() {
        String email = TestData.uniqueEmail();
        given().contentType(ContentType.JSON)
                .body("{\"name\":\"Spaces\",\"email\":\"  " + email.toUpperCase() + "  \"}")
                .post("/users")
                .then().statusCode(201)
                .body("email", equalTo(email));
    }

    @Test
    void getMissingUserIs404Problem() {
        TestData.problem(given().get("/users/999999999").then(), 404).body("detail", containsString("999999999"));
        TestData.problem(given().get("/users/not-a-number").then(), 404);
    }

    @Test
    void listIsBoundedAndOrdered() {
        TestData.createUser("List A", TestData.uniqueEmail());
        TestData.createUser("List B", TestData.uniqueEmail());
        List<Integer> ids = given().queryParam("size", 100).get("/users")
                .then().statusCode(200)
                .body("size", equalTo(100))
                .body("page", equalTo(0))
                .body("items.size()", lessThanOrEqualTo(100))
                .extract().jsonPath().getList("items.id");
        assertEquals(ids.stream().sorted().toList(), ids, "items are ordered by id");
        given().queryParam("size", 1).queryParam("page", 1).get("/users")
                .then().statusCode(200).body("items", hasSize(1)).body("items[0].id", equalTo(ids.get(1)));
        // the total comes with the page, also past the last one (no rows, still the count)
        long total = given().queryParam("size", 100).get("/users").then().statusCode(200)
                .extract().jsonPath().getLong("total");
        assertTrue(total >= ids.size() && total >= 2, "total " + total + " counts the page's " + ids.size() + " users");
        given().queryParam("size", 100).queryParam("page", total / 100 + 1).get("/users")
                .then().statusCode(200).body("items", hasSize(0))
                .body("total", equalTo((int) total));
    }

    @Test
    void badPagingIs400() {
        TestData.problem(given().queryParam("size", 101).get("/users").then(), 400).body("errors.field", hasItem("size"));
        TestData.problem(given().queryParam("size", 0).get("/users").then(), 400).body("errors.field", hasItem("size"));
        TestData.problem(given().queryParam("page", -1).get("/users").then(), 400).body("errors.field", hasItem("page"));
        TestData.problem(given().queryParam("page", "abc").get("/users").then(), 400).body("errors.field", hasItem("page"));
    }

    @Test
    void invalidBodiesAre400AndWriteNothing() throws Exception {
        long before = TestData.usersOnPrimary();
        String longName = "x".repeat(101);
        String[][] cases = {
                {"{\"name\":\"A\",\"email\":\"not-an-email\"}", "email"},
                {"{\"name\":\"\",\"email\":\"" + TestData.uniqueEmail() + "\"}", "name"},
                {"{\"name\":\"   \",\"email\":\"" + TestData.uniqueEmail() + "\"}", "name"},
                {"{\"name\":\"" + longName + "\",\"email\":\"" + TestData.uniqueEmail() + "\"}", "name"},
                {"{\"email\":\"" + TestData.uniqueEmail() + "\"}", "name"},
                {"{\"name\":\"A\",\"email\":\"" + TestData.uniqueEmail() + "\",\"admin\":true}", "admin"},
                {"{\"name\":[1],\"email\":\"" + TestData.uniqueEmail() + "\"}", "name"},
        };
        for (String[] c : cases) {
            TestData.problem(given().log().ifValidationFails().contentType(ContentType.JSON).body(c[0]).post("/users").then(), 400)
                    .body("errors.field", hasItem(c[1]));
        }
        TestData.problem(given().contentType(ContentType.JSON).body("{\"name\":").post("/users").then(), 400)
                .body("title", equalTo("Malformed JSON"));
        TestData.problem(given().contentType(ContentType.JSON).body("").post("/users").then(), 400);
        TestData.problem(given().contentType(ContentType.TEXT).body("name=x").post("/users").then(), 415);
        assertEquals(before, TestData.usersOnPrimary(), "no row was written by any invalid request");
    }

    @Test
    void duplicateEmailIs409AndWritesNothing() throws Exception {
        String email = TestData.uniqueEmail();
        TestData.createUser("First", email);
        long before = TestData.usersOnPrimary();
        TestData.problem(given().contentType(ContentType.JSON)
                .body("{\"name\":\"Second\",\"email\":\"" + email.toUpperCase() + "\"}")
                .post("/users").then(), 409)
                .body("detail", containsString("email"));
        assertEquals(before, TestData.usersOnPrimary());
    }

    @Test
    void concurrentCreatesWithOneEmailWriteExactlyOneRow() throws Exception {
        String email = TestData.uniqueEmail();
        var pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                statuses.add(pool.submit(() -> given().contentType(ContentType.JSON)
                        .body("{\"name\":\"Racer\",\"email\":\"" + email + "\"}")
                        .post("/users").statusCode()));
            }
            List<Integer> codes = new ArrayList<>();
            for (Future<Integer> status : statuses) {
                codes.add(status.get(30, TimeUnit.SECONDS));
            }
            assertEquals(1, codes.stream().filter(c -> c == 201).count(), "one winner: " + codes);
            assertEquals(7, codes.stream().filter(c -> c == 409).count(), "the others conflict: " + codes);
        } finally {
            pool.shutdownNow();
        }
        assertEquals("1", PostgresPair.current.query(PostgresPair.PRIMARY, "owner",
                "SELECT count(*) FROM users.app_user WHERE email = '" + email + "'"));
    }

    @Test
    void updateReplacesTheUserAndRejectsMissingOrInvalid() {
        long id = TestData.createUser("Before", TestData.uniqueEmail());
        String email = TestData.uniqueEmail();
        given().contentType(ContentType.JSON)
                .body("{\"name\":\"After\",\"email\":\"" + email + "\"}")
                .put("/users/" + id)
                .then().statusCode(200)
                .body("id", equalTo((int) id))
                .body("name", equalTo("After"))
                .body("email", equalTo(email));
        TestData.problem(given().contentType(ContentType.JSON)
                .body("{\"name\":\"After\",\"email\":\"" + TestData.uniqueEmail() + "\"}")
                .put("/users/999999999").then(), 404);
        TestData.problem(given().contentType(ContentType.JSON)
                .body("{\"name\":\"\",\"email\":\"" + email + "\"}")
                .put("/users/" + id).then(), 400);
    }

    @Test
    void updateToTakenEmailIs409AndKeepsTheRow() throws Exception {
        String taken = TestData.uniqueEmail();
        TestData.createUser("Owner", taken);
        String mine = TestData.uniqueEmail();
        long id = TestData.createUser("Mine", mine);
        TestData.problem(given().contentType(ContentType.JSON)
                .body("{\"name\":\"Mine\",\"email\":\"" + taken + "\"}")
                .put("/users/" + id).then(), 409);
        assertEquals(mine, PostgresPair.current.query(PostgresPair.PRIMARY, "owner",
                "SELECT email FROM users.app_user WHERE id = " + id));
    }

    @Test
    void deleteIs204ThenGone() throws Exception {
        long id = TestData.createUser("Doomed", TestData.uniqueEmail());
        given().delete("/users/" + id).then().statusCode(204);
        TestData.problem(given().delete("/users/" + id).then(), 404);
        assertEquals("0", PostgresPair.current.query(PostgresPair.PRIMARY, "owner",
                "SELECT count(*) FROM users.app_user WHERE id = " + id));
    }

    @Test
    void hostDateAndServedByHeader() {
        given().get("/host").then().statusCode(200)
                .header("X-Served-By", "test-instance")
                .body("instance", equalTo("test-instance"))
                .body("hostname", notNullValue());
        given().get("/date").then().statusCode(200)
                .header("X-Served-By", "test-instance")
                .body("utc", endsWith("Z"));
    }

    @Test
    void operationalEndpointsAreOnTheManagementInterfaceOnly() {
        given().get(Management.url("/health/live")).then().statusCode(200).body("status", equalTo("UP"));
        given().get(Management.url("/health/ready")).then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem("database"));
        given().get(Management.url("/metrics")).then().statusCode(200).body(containsString("http_server_requests"));
        given().get(Management.url("/openapi")).then().statusCode(200).body(containsString("/users"));
        // not on the API's port: nginx proxies that one to the world
        for (String path : List.of("/q/health/ready", "/q/metrics", "/q/openapi", "/q/swagger-ui/")) {
            TestData.problem(given().get(path).then(), 404);
        }
    }

    @Test
    void theHotReadsRunOnTheReactivePoolAsTheReadOnlyReader() throws Exception {
        given().get("/users?size=1").then().statusCode(200);
        given().get("/users/1").then().statusCode(anyOf(is(200), is(404)));
        // the reads' connection stays pooled (for up to 5 idle seconds): on the replica, as the reader, named for the
        // reactive pool (users.read.driver=reactive is the default)
        assertEquals("users_reader", PostgresPair.current.query(PostgresPair.REPLICA, "owner",
                "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity"
                        + " WHERE application_name = 'test-instance-reactive'"));
    }

    @Test
    void theEventLoopsLanesHoldNoMoreReactiveConnectionsThanTheBudget() throws Exception {
        // concurrent reads reach every event loop, each reading through its own lane (ReactivePools)
        var pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                statuses.add(pool.submit(() -> given().get("/users/1").statusCode()));
            }
            for (Future<Integer> status : statuses) {
                int answered = status.get(30, TimeUnit.SECONDS);
                assertTrue(answered == 200 || answered == 404, "answered " + answered);
            }
        } finally {
            pool.shutdownNow();
        }
        // users.read.reactive-pool-size (3) for the instance, however many event loops share them
        int open = Integer.parseInt(PostgresPair.current.query(PostgresPair.REPLICA, "owner",
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'test-instance-reactive'"));
        assertTrue(open >= 1 && open <= 3, open + " reactive connections on the replica");
    }

    @Test
    void seedUsersWereMigratedOnce() {
        List<String> emails = given().queryParam("size", 100).get("/users").then().statusCode(200)
                .extract().jsonPath().getList("items.email");
        for (String seed : List.of("ada@example.org", "alan@example.org", "grace@example.org")) {
            assertEquals(1, emails.stream().filter(seed::equals).count(), seed);
        }
    }
}
