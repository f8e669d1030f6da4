package org.acme.users;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.agroal.api.AgroalDataSource;
import io.quarkus.agroal.DataSource;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ManagedContext;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.acme.testing.ChatClient;
import org.acme.users.chat.ChatService;

/**
 * Read-your-writes and bounded staleness against a real logical replica: a write's Consistency-Token (header and
 * cookie), reads that honour it, and a replica whose replication stops leaving the read path within the bound.
 */
@QuarkusTest
@WithTestResource(PostgresPair.class)
class ReadConsistencyTest {

    static final String TOKEN = "Consistency-Token";
    static final String ROUTE = "X-Read-Route";
    static final String LSN = "[0-9A-F]{1,8}/[0-9A-F]{1,8}";
    /** users.read.max-staleness (1 s) + the heartbeat interval, with room for a busy machine. */
    static final long STALENESS_BOUND_MS = 1000;

    @Inject
    @DataSource("write")
    AgroalDataSource write;

    @AfterEach
    void replicationRunning() {
        // leave the pair replicating whatever failed
        for (String node : new String[] {PostgresPair.PRIMARY, PostgresPair.REPLICA}) {
            try {
                PostgresPair.current.start(node);
            } catch (IllegalStateException alreadyRunning) {
                // running: fine
            }
        }
        try {
            PostgresPair.current.signalApplyWorker("CONT");
        } catch (IllegalStateException noWorker) {
            // disabled or restarting: enabling below starts one
        }
        PostgresPair.current.superuser(PostgresPair.REPLICA, "ALTER SUBSCRIPTION users_sub ENABLE");
    }

    @Test
    void everyWriteAnswersWithATokenAsHeaderAndCookie() {
        Response created = createResponse("Token", TestData.uniqueEmail());
        String token = created.header(TOKEN);
        assertNotNull(token, "POST carries the token");
        assertTrue(token.matches(LSN), token);
        String cookie = created.header("Set-Cookie");
        assertTrue(cookie.startsWith(TOKEN + "=" + token + ";"), cookie);
        for (String attribute : List.of("Max-Age=300", "Path=/", "HttpOnly", "SameSite=Lax")) {
            assertTrue(cookie.contains("; " + attribute), cookie + " has " + attribute);
        }
        long id = created.jsonPath().getLong("id");

        String updated = given().contentType(ContentType.JSON).header(TOKEN, token)
                .body("{\"name\":\"Token 2\",\"email\":\"" + TestData.uniqueEmail() + "\"}")
                .put("/users/" + id).then().statusCode(200).header(TOKEN, matchesPattern(LSN))
                .header("Set-Cookie", containsString(TOKEN + "=")).extract().header(TOKEN);
        assertTrue(greaterOrEqual(updated, token), updated + " is not before " + token);
        given().delete("/users/" + id).then().statusCode(204).header(TOKEN, matchesPattern(LSN));

        // reads and failed writes issue none
        given().get("/users").then().statusCode(200).header(TOKEN, nullValue());
        given().delete("/users/" + id).then().statusCode(404).header(TOKEN, nullValue());
    }

    @Test
    void aReadWithTheTokenSeesTheWriteWhetherItComesAsHeaderOrCookie() {
        for (int i = 0; i < 20; i++) {
            Response created = createResponse("Mine " + i, TestData.uniqueEmail());
            String token = created.header(TOKEN);
            long id = created.jsonPath().getLong("id");
            given().header(TOKEN, token).get("/users/" + id).then().statusCode(200)
                    .header(ROUTE, matchesPattern("(replica; reason=token-reached|primary; reason=token)"));
            given().cookie(TOKEN, token).get("/users/" + id).then().statusCode(200);
        }
    }

    @Test
    void malformedTokensAre400ProblemsAndABadCookieIsDeleted() {
        // (surrounding blanks are not part of a header value: HTTP strips them)
        for (String bad : List.of("", "x", "0/", "/1", "1/2/3", "G/1", "123456789/1", "0 /1", "-1/1", "0x1/1", "0/1;0/2")) {
            assertEquals(400, given().header(TOKEN, bad).get("/users/1").statusCode(), "token '" + bad + "'");
            TestData.problem(given().header(TOKEN, bad).get("/users/1").then(), 400)
                    .body("errors[0].field", equalTo(TOKEN));
        }
        TestData.problem(given().header(TOKEN, "0/1").header(TOKEN, "0/2").get("/users/1").then(), 400);
        TestData.problem(given().cookie(TOKEN, "garbage").get("/users/1").then(), 400)
                .header("Set-Cookie", containsString(TOKEN + "=; Max-Age=0"));
        TestData.problem(given().header(TOKEN, "nope").get("/users?page=0").then(), 400);
        TestData.problem(given().header(TOKEN, "nope").get("/chat/lobby/messages").then(), 400);
    }

    @Test
    void aForgedTokenBeyondThePrimaryIsIgnoredNotPinnedToThePrimary() {
        long id = TestData.createUser("Forged", TestData.uniqueEmail());
        awaitOnReplica(id);
        for (int i = 0; i < 5; i++) {
            given().header(TOKEN, "FFFFFFFF/FFFFFFFF").get("/users/" + id).then().statusCode(200)
                    .header(ROUTE, "replica; reason=fresh");
        }
        given().cookie(TOKEN, "7FFFFFFF/0").get("/users/" + id).then().statusCode(200)
                .header("Set-Cookie", containsString(TOKEN + "=; Max-Age=0"));
    }

    @Test
    void stoppedReplicationTakesTheReplicaOutOfTheReadPathWithinTheBoundAndBackOnceCaughtUp() throws Exception {
        assertReplicaStopsServing(() -> {
            PostgresPair.current.superuser(PostgresPair.REPLICA, "ALTER SUBSCRIPTION users_sub DISABLE");
            return null;
        }, () -> {
            PostgresPair.current.superuser(PostgresPair.REPLICA, "ALTER SUBSCRIPTION users_sub ENABLE");
            return null;
        }, "is disabled");
    }

    @Test
    void aFrozenApplyWorkerTakesTheReplicaOutOfTheReadPathWithinTheBound() throws Exception {
        assertReplicaStopsServing(() -> {
            PostgresPair.current.signalApplyWorker("STOP");
            return null;
        }, () -> {
            PostgresPair.current.signalApplyWorker("CONT");
            return null;
        }, "over the bound");
    }

    @Test
    void aTokenAheadOfTheReplicaWithThePrimaryDownIs503NeverA404() throws Exception {
        Unreplicated user = unreplicatedReadFromThePrimary("Unreplicated");
        String token = user.token();
        long id = user.id();

        PostgresPair.current.stop(PostgresPair.PRIMARY);
        for (int i = 0; i < 5; i++) {
            TestData.problem(given().header(TOKEN, token).get("/users/" + id).then(), 503)
                    .header("Retry-After", notNullValue());
            TestData.problem(given().cookie(TOKEN, token).get("/users?page=0&size=1").then(), 503);
        }
        // without a token the replica serves (the primary is gone): its staleness is reported, not enforced
        given().get("/db").then().statusCode(200).body("route.target", equalTo("replica"))
                .body("route.reason", equalTo("primary-down"));

        PostgresPair.current.start(PostgresPair.PRIMARY);
        awaitStatus(() -> given().header(TOKEN, token).get("/users/" + id), 200);
        PostgresPair.current.superuser(PostgresPair.REPLICA, "ALTER SUBSCRIPTION users_sub ENABLE");
        awaitOnReplica(id);
    }

    @Test
    void aTokenReadWhoseSessionOnThePrimaryEndsUnderItIsTriedAgainNotA503() throws Exception {
        Unreplicated user = unreplicatedReadFromThePrimary("Session ended");
        String token = user.token();
        long id = user.id();

        // the owner holds the table, so the next read on the primary waits there; its session is then ended under it
        // (as when PostgreSQL or a pool closes a connection a read has just taken). The primary itself is fine.
        CompletableFuture<Response> read;
        try (Connection owner = PostgresPair.current.connect(PostgresPair.PRIMARY, "owner")) {
            owner.setAutoCommit(false);
            owner.createStatement().execute("LOCK TABLE users.app_user IN ACCESS EXCLUSIVE MODE");
            read = CompletableFuture.supplyAsync(() -> given().header(TOKEN, token).get("/users/" + id));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!"1".equals(PostgresPair.current.superuser(PostgresPair.PRIMARY, "SELECT count(pg_terminate_backend(pid))"
                    + " FROM pg_stat_activity WHERE usename = 'users_reader' AND wait_event_type = 'Lock'"))) {
                assertTrue(System.nanoTime() < deadline, "the read never waited on the primary");
                sleep(20);
            }
            owner.rollback();
        }
        read.get(30, TimeUnit.SECONDS).then().statusCode(200).header(ROUTE, "primary; reason=token")
                .body("id", equalTo((int) id));
    }

    @Test
    void aWritePoolExhaustedByRequestsIsNoDeadPrimary() throws Exception {
        // every connection of the write pool taken (as by a burst of slow writes) for longer than the heartbeat's
        // horizon: the heartbeat has a connection of its own, so reads keep their route and a token read that the
        // replica cannot serve still reads from the primary (read-primary pool) instead of a 503
        Response created = createUnreplicated("Busy pool");
        String token = created.header(TOKEN);
        long id = created.jsonPath().getLong("id");
        List<Connection> held = new ArrayList<>();
        try {
            // quarkus.datasource.write.jdbc.max-size (USERS_WRITE_POOL_MAX_SIZE, the connection budget's)
            int size = write.getConfiguration().connectionPoolConfiguration().maxSize();
            for (int i = 0; i < size; i++) {
                held.add(write.getConnection());
            }
            sleep(3_000); // beyond the pool's acquisition timeout (2 s) and the heartbeat's horizon (1 s)
            given().header(TOKEN, token).get("/users/" + id).then().statusCode(200)
                    .header(ROUTE, "primary; reason=token");
            given().get("/db").then().statusCode(200).body("route.reason", not(equalTo("primary-down")));
        } finally {
            for (Connection connection : held) {
                connection.close();
            }
        }
    }

    @Test
    void dbShowsTheLagAndTheRoute() {
        awaitRoute("replica; reason=fresh");
        given().get("/db").then().statusCode(200)
                .body("replica.node", equalTo(PostgresPair.REPLICA))
                .body("replica.lagSeconds", notNullValue())
                .body("replica.maxStalenessSeconds", equalTo(1.0f))
                .body("replica.appliedPosition", matchesPattern(LSN))
                .body("replica.subscriptionEnabled", equalTo(true))
                .body("route.target", equalTo("replica"))
                .body("route.reason", equalTo("fresh"));
        String metrics = given().get(Management.url("/metrics")).then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("users_replica_lag_seconds"), "lag metric");
        assertTrue(metrics.contains("users_reads_total{reason=\"fresh\",route=\"replica\"}"), "reads by route and reason");
    }

    @Test
    void chatHistoryHonoursTheTokenOfAMessageFrame() throws Exception {
        String room = TestData.uniqueRoom();
        PostgresPair.current.superuser(PostgresPair.REPLICA, "ALTER SUBSCRIPTION users_sub DISABLE");
        try (ChatClient alice = Chats.join(room, "alice")) {
            alice.say("seen live", "k1");
            JsonNode frame = alice.next("message");
            String token = frame.get("token").asText();
            assertTrue(token.matches(LSN), frame.toString());
            // the replica has not got it; with the frame's token the history comes from the primary
            given().header(TOKEN, token).get("/chat/" + room + "/messages").then().statusCode(200)
                    .header(ROUTE, "primary; reason=token")
                    .body("text", equalTo(List.of("seen live")));
        }
    }

    /** STOP stops replication; a user created after it becomes readable without a token within the bound; START resumes. */
    private void assertReplicaStopsServing(Supplier<Void> stop, Supplier<Void> start, String reason) throws Exception {
        awaitRoute("replica; reason=fresh");
        stop.get();
        long stopped = System.nanoTime();
        long id = TestData.createUser("After stop", TestData.uniqueEmail());
        // no token: the replica may serve the read only while its data is within the bound, so the user is readable
        // (from the primary) at the latest once the bound has passed
        long readable = awaitStatus(() -> given().get("/users/" + id), 200);
        long millis = (readable - stopped) / 1_000_000;
        System.out.printf("read consistency: a user created after replication stopped was readable without a token"
                + " %d ms after the stop%n", millis);
        assertTrue(millis < STALENESS_BOUND_MS + 1_500, "readable within the bound: " + millis + " ms");
        given().get("/users/" + id).then().statusCode(200).header(ROUTE, "primary; reason=stale");
        given().get("/db").then().body("route.reason", equalTo("stale"))
                .body("replica.detail", containsString(reason));
        given().get(Management.url("/health/ready")).then().statusCode(200);

        start.get();
        long restarted = System.nanoTime();
        awaitRoute("replica; reason=fresh");
        System.out.printf("read consistency: reads back on the replica %d ms after replication resumed%n",
                (System.nanoTime() - restarted) / 1_000_000);
        given().get("/users/" + id).then().statusCode(200).header(ROUTE, "replica; reason=fresh");
    }

    /** A user the replica lacks, and the token of its create. */
    private record Unreplicated(long id, String token) {
    }

    /** {@link #createUnreplicated}, then read back with its token: from the primary, as the token says. */
    private static Unreplicated unreplicatedReadFromThePrimary(String name) {
        Response created = createUnreplicated(name);
        Unreplicated user = new Unreplicated(created.jsonPath().getLong("id"), created.header(TOKEN));
        given().header(TOKEN, user.token()).get("/users/" + user.id()).then().statusCode(200)
                .header(ROUTE, "primary; reason=token");
        return user;
    }

    /** Replication disabled, then a user created: the primary has it, the replica never will until it is enabled. */
    private static Response createUnreplicated(String name) {
        PostgresPair.current.superuser(PostgresPair.REPLICA, "ALTER SUBSCRIPTION users_sub DISABLE");
        return createResponse(name, TestData.uniqueEmail());
    }

    private static Response createResponse(String name, String email) {
        return given().contentType(ContentType.JSON).body("{\"name\":\"" + name + "\",\"email\":\"" + email + "\"}")
                .post("/users").then().statusCode(201).extract().response();
    }

    private static void awaitRoute(String route) {
        long deadline = System.nanoTime() + 15_000_000_000L;
        String seen = null;
        while (System.nanoTime() < deadline) {
            seen = given().get("/users?page=0&size=1").then().statusCode(200).extract().header(ROUTE);
            if (route.equals(seen)) {
                return;
            }
            sleep(50);
        }
        throw new AssertionError("reads did not go to " + route + " within 15 s; last: " + seen);
    }

    /** Polls until the request answers STATUS (at most 15 s); returns System.nanoTime() of that answer. */
    private static long awaitStatus(Supplier<Response> request, int status) {
        long deadline = System.nanoTime() + 15_000_000_000L;
        int last = 0;
        while (System.nanoTime() < deadline) {
            last = request.get().statusCode();
            if (last == status) {
                return System.nanoTime();
            }
            sleep(20);
        }
        throw new AssertionError("no " + status + " within 15 s; last " + last);
    }

    private static void awaitOnReplica(long id) {
        long deadline = System.nanoTime() + 15_000_000_000L;
        try {
            while (!TestData.onReplica(id)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("user " + id + " not on the replica within 15 s");
                }
                sleep(50);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean greaterOrEqual(String a, String b) {
        return Long.compareUnsigned(lsn(a), lsn(b)) >= 0;
    }

    private static long lsn(String text) {
        String[] parts = text.split("/");
        return Long.parseLong(parts[0], 16) << 32 | Long.parseLong(parts[1], 16);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Inject
    ChatService chat;

    @Test
    void aHistoryReadInsideATransactionStillGoesWhereItsRouteSays() throws Exception {
        // a message only the replica has (its superuser wrote it there): which node answered shows in the answer
        String room = TestData.uniqueRoom();
        PostgresPair.current.superuser(PostgresPair.REPLICA, "INSERT INTO users.chat_messages (room, id, author, body, sent_at)"
                + " VALUES ('" + room + "', 1, 'replica', 'only on the replica', now())");
        ManagedContext requestContext = Arc.container().requestContext();
        requestContext.activate();
        try {
            List<String> read = List.of();
            long deadline = System.nanoTime() + 10_000_000_000L; // while the heartbeat finds the replica fresh
            while (read.isEmpty() && System.nanoTime() < deadline) {
                read = QuarkusTransaction.requiringNew().call(() -> chat.history(room, 0, 10)).stream()
                        .map(message -> message.body).toList();
                Thread.sleep(read.isEmpty() ? 100 : 0);
            }
            assertEquals(List.of("only on the replica"), read,
                    "a transaction around the read does not move it to the primary");
        } finally {
            requestContext.terminate();
            PostgresPair.current.superuser(PostgresPair.REPLICA, "DELETE FROM users.chat_messages WHERE room = '" + room + "'");
        }
    }
}
