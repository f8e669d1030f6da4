package org.acme.users;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.acme.hostile.HostileCorpus;
import org.junit.jupiter.api.Test;
import org.acme.testing.ChatClient;

/**
 * Issue #12 against one instance: the hostile-input corpus (every case refused with its problem or close code, and
 * nothing written on either node), what must still be accepted, Location, the management interface, metric labels
 * and the chat page's headers. Through nginx the same corpus runs in topology-tests (EdgeIT).
 */
@QuarkusTest
@WithTestResource(PostgresPair.class)
class HostileInputTest {


    /** Rows and the newest update of every table a request could write, on the primary and on the replica. */
    static String state() throws Exception {
        String sql = "SELECT (SELECT count(*) FROM users.app_user) || ' users, updated ' "
                + "|| coalesce((SELECT max(updated_at) FROM users.app_user)::text, '-') "
                + "|| ', ' || (SELECT count(*) FROM users.chat_messages) || ' messages, ' "
                + "|| (SELECT count(*) FROM users.idempotency_key) || ' keys'";
        return "primary " + PostgresPair.current.query(PostgresPair.PRIMARY, "owner", sql)
                + "; replica " + PostgresPair.current.query(PostgresPair.REPLICA, "owner", sql);
    }

    @Test
    void everyCaseOfTheCorpusIsRefusedAndWritesNothing() throws Exception {
        long fixture = TestData.createUser("Corpus Fixture", TestData.uniqueEmail());
        awaitReplica();
        List<HostileCorpus.Case> cases = HostileCorpus.load();
        List<String> failures = HostileCorpus.run(cases, new HostileCorpus.Target() {
            public String via() {
                return "instance";
            }

            public String host() {
                return "localhost";
            }

            public int port() {
                return RestAssured.port;
            }

            public String state() throws Exception {
                return HostileInputTest.state();
            }

            public Map<String, String> fixtures() {
                return Map.of("id", String.valueOf(fixture));
            }
        });
        assertEquals(List.of(), failures, failures.size() + " failed checks");
    }

    // ---- what must still be accepted ------------------------------------------------------------------------------

    @Test
    void namesAreCountedInCharactersAndAnyScriptIsAccepted() {
        String fiftyEmoji = "😀".repeat(50); // 100 UTF-16 units: refused before as "more than 100 characters"
        for (String name : List.of(fiftyEmoji, "😀".repeat(100), "Ада Лавлейс", "李小龙", "José Ñúñez", "O'Brien-Smith",
                "👩‍💻 Grace", "فاطمة", "Zoë\u00a0Zed", "x")) {
            given().contentType(ContentType.JSON)
                    .body(Map.of("name", name, "email", TestData.uniqueEmail()))
                    .post("/users").then().log().ifValidationFails().statusCode(201).body("name", equalTo(name.strip()));
        }
    }

    @Test
    void emailsWithinTheGrammarAreAccepted() {
        String unique = UUID.randomUUID().toString().substring(0, 8);
        for (String email : List.of("o'brien+" + unique + "@example.org", "a.b.c-" + unique + "@sub.example.co.uk",
                "x_" + unique + "@xn--bcher-kva.example", "{" + unique + "}|~!#$%&*=?^`@example.org",
                "l".repeat(56) + unique + "@example.org", unique + "@" + "d".repeat(63) + ".example")) {
            given().contentType(ContentType.JSON).body(Map.of("name", "Mail", "email", email))
                    .post("/users").then().log().ifValidationFails().statusCode(201)
                    .body("email", equalTo(email.toLowerCase()));
        }
    }

    @Test
    void anIdempotencyKeyOnceStillWorks() {
        String key = UUID.randomUUID().toString();
        String body = "{\"name\":\"Keyed\",\"email\":\"" + TestData.uniqueEmail() + "\"}";
        int id = given().contentType(ContentType.JSON).header("Idempotency-Key", key).body(body)
                .post("/users").then().statusCode(201).extract().path("id");
        given().contentType(ContentType.JSON).header("Idempotency-Key", key).body(body)
                .post("/users").then().statusCode(201).header("Idempotent-Replayed", "true").body("id", equalTo(id));
    }

    // ---- Location --------------------------------------------------------------------------------------------------

    @Test
    void locationNeverNamesAHostThatIsNotAllowed() {
        String body = "{\"name\":\"Where\",\"email\":\"%s\"}";
        String allowed = given().contentType(ContentType.JSON).header("Host", "localhost:8080")
                .body(body.formatted(TestData.uniqueEmail())).post("/users").then().statusCode(201)
                .extract().header("Location");
        assertTrue(allowed.matches("http://localhost:8080/users/[0-9]+"), allowed);
        String tls = given().contentType(ContentType.JSON).header("Host", "127.0.0.1:8443").header("X-Forwarded-Proto", "https")
                .body(body.formatted(TestData.uniqueEmail())).post("/users").then().statusCode(201)
                .extract().header("Location");
        assertTrue(tls.matches("https://127.0.0.1:8443/users/[0-9]+"), tls);
        for (String host : List.of("evil.example", "evil.example:8080", "localhost.evil.example", "EVIL.example", "[::1]:8080")) {
            String location = given().contentType(ContentType.JSON).header("Host", host)
                    .header("X-Forwarded-Host", "evil.example")
                    .body(body.formatted(TestData.uniqueEmail())).post("/users").then().statusCode(201)
                    .extract().header("Location");
            assertTrue(location.matches("/users/[0-9]+"), host + " -> " + location);
        }
        // Hosts the HTTP layer itself refuses (a port out of range, user info) never get as far as a Location
        for (String host : List.of("localhost:99999", "localhost@evil.example")) {
            given().contentType(ContentType.JSON).header("Host", host).body(body.formatted(TestData.uniqueEmail()))
                    .post("/users").then().statusCode(400).header("Location", (String) null);
        }
    }

    // ---- the chat socket: what is valid stays valid ------------------------------------------------------------

    @Test
    void aCharacterSplitBetweenFragmentsAndARealReplacementCharacterAreStoredAsSent() throws Exception {
        String room = TestData.uniqueRoom();
        try (ChatClient alice = Chats.join(room, "alice")) {
            // the JDK client splits the text at character boundaries: send the bytes through a raw socket instead
            String text = "é€😀 ok \uFFFD";
            RawChat.send(RestAssured.port, room, "bob", ("{\"type\":\"message\",\"text\":\"" + text + "\"}")
                    .getBytes(StandardCharsets.UTF_8), 3);
            JsonNode stored = alice.next("message");
            assertEquals(text, stored.get("text").asText());
            assertEquals(1, TestData.messagesOnPrimary(room));
        }
    }

    // ---- management interface, metrics, the page ------------------------------------------------------------------

    @Test
    void theManagementInterfaceIsReadOnly() {
        for (String method : List.of("POST", "PUT", "PATCH", "DELETE", "PROPFIND", "HOSTILEMETHOD")) {
            given().request(method, Management.url("/health/live")).then().log().ifValidationFails()
                    .statusCode(405).header("Allow", "GET, HEAD").contentType("application/problem+json");
        }
        given().get(Management.url("/health/live")).then().statusCode(200);
        given().get(Management.url("/swagger-ui/")).then().statusCode(200); // %test enables it; prod needs USERS_SWAGGER_UI
    }

    @Test
    void metricLabelsAreRouteTemplatesNotWhatClientsSent() {
        given().get("/users/1").then().statusCode(200);
        given().get("/users/81795915465510").then().statusCode(404);
        given().get("/no/such/" + UUID.randomUUID()).then().statusCode(404);
        given().request("HOSTILEMETHOD", "/users").then().statusCode(405);
        given().request("PROPFIND", "/users/" + System.nanoTime() % 1000).then().statusCode(405);
        String metrics = given().get(Management.url("/metrics")).then().statusCode(200).extract().asString();
        Set<String> uris = labels(metrics, "uri");
        Set<String> methods = labels(metrics, "method");
        System.out.println("http_server_requests uri labels: " + uris + ", methods: " + methods);
        assertTrue(uris.contains("/users/{id}"), uris.toString());
        for (String uri : uris) {
            assertTrue(uri.equals("OTHER") || uri.equals("NOT_FOUND") || uri.equals("root") || !uri.matches(".*[0-9].*")
                    && !uri.contains("no/such"), "a client's path became a label: " + uri);
        }
        assertFalse(methods.contains("HOSTILEMETHOD") || methods.contains("PROPFIND"), methods.toString());
    }

    private static Set<String> labels(String metrics, String name) {
        Set<String> values = new TreeSet<>();
        Matcher m = Pattern.compile("http_server_requests_seconds_count\\{[^}]*\\b" + name + "=\"([^\"]*)\"").matcher(metrics);
        while (m.find()) {
            values.add(m.group(1));
        }
        return values;
    }

    @Test
    void theChatPageHasASafeCachePolicyAndSecurityHeaders() throws Exception {
        String page;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("META-INF/resources/chat.html")) {
            page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String csp = given().get("/chat.html").then().statusCode(200)
                .header("Cache-Control", "no-cache")
                .header("X-Content-Type-Options", "nosniff")
                .header("X-Frame-Options", "DENY")
                .header("Cache-Control", not(containsString("immutable")))
                .extract().header("Content-Security-Policy");
        assertTrue(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'")
                && csp.contains("connect-src 'self'"), csp);
        // the policy allows exactly the page's own inline script and style
        Matcher inline = Pattern.compile("<(script|style)>(.*?)</\\1>", Pattern.DOTALL).matcher(page);
        int found = 0;
        while (inline.find()) {
            String hash = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(inline.group(2).getBytes(StandardCharsets.UTF_8)));
            assertTrue(csp.contains(inline.group(1) + "-src 'sha256-" + hash + "'"), inline.group(1) + " " + hash + " in " + csp);
            found++;
        }
        assertEquals(2, found, "the page has one inline script and one inline style");
        assertFalse(csp.contains("unsafe-inline"), csp);
        // every answer is nosniff, JSON included
        given().get("/host").then().header("X-Content-Type-Options", "nosniff");
    }

    /** Waits until the replica has every user the primary has, so that the corpus starts from a settled state. */
    static void awaitReplica() throws Exception {
        String sql = "SELECT count(*) FROM users.app_user";
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!PostgresPair.current.query(PostgresPair.PRIMARY, "owner", sql)
                .equals(PostgresPair.current.query(PostgresPair.REPLICA, "owner", sql)) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }
}
