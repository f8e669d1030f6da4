package org.acme.users;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.acme.testing.ChatClient;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.MDC;
import org.junit.jupiter.api.Test;

/**
 * Issue #22, one request id end to end, on one instance: a well-formed X-Request-Id is answered as it came, anything
 * else is replaced by a fresh one; every problem and chat error frame carries the id of its answer; the log lines a
 * request writes carry it (the MDC), on the event loop of the reactive reads and on the worker thread of a write, and
 * never the id of an earlier request.
 */
@QuarkusTest
@WithTestResource(PostgresPair.class)
class RequestIdTest {

    static final String WELL_FORMED = "[A-Za-z0-9._:-]{1,64}";

    @Test
    void aWellFormedIdIsAnsweredAsItCame() {
        for (String id : List.of("a", "abc-123", "A.b_c:d-9", "x".repeat(64), UUID.randomUUID().toString())) {
            given().header("X-Request-Id", id).get("/host").then().statusCode(200).header("X-Request-Id", id);
        }
    }

    @Test
    void aMalformedOverlongOrMissingIdIsReplacedByAFreshOne() {
        Set<String> answered = new HashSet<>();
        for (String bad : List.of("", " ", "two words", "x".repeat(65), "<script>", "a;b", "a\"b", "a/b", "a%20b", "\u00e9t\u00e9")) {
            String id = given().header("X-Request-Id", bad).get("/host").then().statusCode(200).extract().header("X-Request-Id");
            assertTrue(id != null && id.matches(WELL_FORMED) && !id.equals(bad), "[" + bad + "] answered as " + id);
            answered.add(id);
        }
        for (int i = 0; i < 3; i++) {
            String id = given().get("/host").then().statusCode(200).extract().header("X-Request-Id");
            assertTrue(id != null && id.matches(WELL_FORMED), "none sent, answered " + id);
            answered.add(id);
        }
        assertEquals(13, answered.size(), "a fresh id each time: " + answered);
        // no request, however its id is malformed, is refused for it
        given().header("X-Request-Id", "x".repeat(10_000)).get("/users?size=1").then().statusCode(200);
    }

    @Test
    void everyProblemCarriesTheIdOfItsAnswer() {
        String id = "problem-" + UUID.randomUUID();
        // a resource's problem on the reactive read path, a mapper's on a write, and the edge's own (no resource)
        sameId(given().header("X-Request-Id", id).get("/users/999999999"), 404, id);
        sameId(given().header("X-Request-Id", id).contentType(ContentType.JSON).body("{\"name\":").post("/users"), 400, id);
        sameId(given().header("X-Request-Id", id).contentType(ContentType.JSON).body("{\"name\":\"\",\"email\":\"x\"}")
                .post("/users"), 400, id);
        sameId(given().header("X-Request-Id", id).get("/no/such/path"), 404, id);
        sameId(given().header("X-Request-Id", id).delete("/users"), 405, id);
        sameId(given().header("X-Request-Id", id).header("Consistency-Token", "not-a-token").get("/users"), 400, id);
        sameId(given().header("X-Request-Id", id).contentType(ContentType.JSON).body("{\"v\":\"" + "x".repeat(70_000) + "\"}")
                .post("/users"), 413, id);
        sameId(given().header("X-Request-Id", id).get("/chat/bad%20room/messages"), 400, id);
        // the management interface's own refusal (no X-Served-By there)
        given().header("X-Request-Id", id).post(Management.url("/health")).then().statusCode(405)
                .contentType("application/problem+json").header("X-Request-Id", id).body("requestId", equalTo(id));
        // a malformed id: the fresh one, in the header and in the body alike
        String fresh = sameId(given().header("X-Request-Id", "bad id").get("/users/999999999"), 404, null);
        assertNotEquals("bad id", fresh);
    }

    @Test
    void theLogLinesOfARequestCarryItsIdAndNoOtherRequestsId() throws Exception {
        String format = ConfigProvider.getConfig().getValue("quarkus.log.console.format", String.class);
        assertTrue(format.contains("%X{requestId}"), format);
        long user = TestData.createUser("Log Line", TestData.uniqueEmail());
        TestData.awaitOnReplica(user);
        try (Captured reads = new Captured("org.acme.users.consistency.FreshReads");
                Captured sql = new Captured("org.hibernate.SQL")) {
            for (int i = 0; i < 20; i++) {
                // the reactive read: its line is written on the event loop, in the pool's callback
                String sent = i % 2 == 0 ? "read-" + i + "-" + UUID.randomUUID() : null;
                var request = given();
                if (sent != null) {
                    request.header("X-Request-Id", sent);
                }
                String id = request.get("/users/" + user).then().statusCode(200).extract().header("X-Request-Id");
                assertTrue(sent == null || sent.equals(id), id);
                List<String> ids = reads.take();
                assertFalse(ids.isEmpty(), "the read logged its route");
                assertEquals(List.of(id), ids.stream().distinct().toList(), "every line of request " + id);
            }
            // a write: Hibernate's statements, on the worker thread of a blocking method
            String id = "write-" + UUID.randomUUID();
            given().header("X-Request-Id", id).contentType(ContentType.JSON)
                    .body("{\"name\":\"Logged\",\"email\":\"" + TestData.uniqueEmail() + "\"}").post("/users")
                    .then().statusCode(201).header("X-Request-Id", id);
            List<String> ids = sql.take();
            assertTrue(ids.contains(id), "the write's statements carry its id: " + ids);
            // a request after it, without an id, on whichever thread: none of its lines has the earlier id
            String next = given().contentType(ContentType.JSON)
                    .body("{\"name\":\"Next\",\"email\":\"" + TestData.uniqueEmail() + "\"}").post("/users")
                    .then().statusCode(201).extract().header("X-Request-Id");
            ids = sql.take();
            assertTrue(ids.contains(next), "the next write's statements carry its own id: " + ids);
            assertFalse(ids.contains(id), "the earlier request's id leaked: " + ids);
        }
        assertEquals(null, MDC.get("requestId"), "nothing left in the test's own thread");
    }

    @Test
    void aChatErrorFrameCarriesTheIdOfItsSocket() throws Exception {
        String id = "chat-" + UUID.randomUUID();
        try (Socket socket = new Socket("/chat/" + TestData.uniqueRoom() + "?user=ada", id)) {
            assertEquals("hello", socket.next().path("type").asText());
            socket.ws.sendText("not json", true).get(5, TimeUnit.SECONDS);
            JsonNode error = socket.next("error");
            assertEquals(400, error.path("status").asInt(), error.toString());
            assertEquals(id, error.path("requestId").asText(), error.toString());
        }
        // refused at the open: the error frame before the close has it too; without an id, a fresh one
        try (Socket socket = new Socket("/chat/bad%20room?user=ada", null)) {
            JsonNode error = socket.next("error");
            assertEquals(400, error.path("status").asInt(), error.toString());
            assertTrue(error.path("requestId").asText().matches(WELL_FORMED), error.toString());
        }
    }

    @Test
    void theOpenApiDocumentShowsTheHeaderAndTheMember() {
        String document = given().get(Management.url("/openapi?format=json")).then().statusCode(200).extract().asString();
        assertTrue(document.contains("\"X-Request-Id\""), "the header is documented");
        given().get(Management.url("/openapi?format=json")).then()
                .body("components.schemas.Problem.properties.requestId.pattern", equalTo("^" + WELL_FORMED + "$"))
                .body("paths.'/users'.get.parameters.find { it.name == 'X-Request-Id' }.in", equalTo("header"))
                .body("paths.'/users'.get.responses.'200'.headers.'X-Request-Id'.schema.type", equalTo("string"));
    }

    /** A problem of STATUS whose requestId is its X-Request-Id answer header (and ID, unless null); the id. */
    private static String sameId(Response response, int status, String id) {
        ExtractableResponse<Response> answer = TestData.problem(response.then(), status).extract();
        String header = answer.header("X-Request-Id");
        assertEquals(header, answer.path("requestId"), answer.asString());
        if (id != null) {
            assertEquals(id, header, answer.asString());
        }
        return header;
    }

    /** The MDC requestId of each record CATEGORY logs (at DEBUG while captured), as it is when the line is written. */
    static final class Captured extends Handler implements AutoCloseable {
        private final Logger logger;
        private final Level level;
        private final BlockingQueue<String> ids = new LinkedBlockingQueue<>();

        Captured(String category) {
            logger = Logger.getLogger(category);
            level = logger.getLevel();
            logger.setLevel(Level.FINE);
            logger.addHandler(this);
        }

        @Override
        public void publish(LogRecord record) {
            Object id = MDC.get("requestId"); // on the thread that logs, while it logs
            ids.add(id == null ? "(none)" : id.toString());
        }

        /** What was logged since the last take (the answer may leave before a last line: a moment for it). */
        List<String> take() throws InterruptedException {
            Thread.sleep(50);
            List<String> taken = new ArrayList<>();
            ids.drainTo(taken);
            return taken;
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
            logger.setLevel(level);
        }
    }

    /** A raw chat socket opened with an X-Request-Id (none when null), its frames as they come. */
    static final class Socket implements AutoCloseable {
        final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
        final WebSocket ws;

        Socket(String pathAndQuery, String requestId) throws Exception {
            WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder();
            if (requestId != null) {
                builder.header("X-Request-Id", requestId);
            }
            ws = builder.buildAsync(URI.create(Chats.base().toString().replace("http:", "ws:") + pathAndQuery),
                    new WebSocket.Listener() {
                        private final StringBuilder text = new StringBuilder();

                        @Override
                        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                            text.append(data);
                            if (last) {
                                try {
                                    frames.add(ChatClient.JSON.readTree(text.toString()));
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                                text.setLength(0);
                            }
                            webSocket.request(1);
                            return null;
                        }
                    }).get(10, TimeUnit.SECONDS);
        }

        JsonNode next() throws InterruptedException {
            JsonNode frame = frames.poll(10, TimeUnit.SECONDS);
            assertTrue(frame != null, "a frame within 10 s");
            return frame;
        }

        JsonNode next(String type) throws InterruptedException {
            JsonNode frame = next();
            while (!type.equals(frame.path("type").asText())) {
                frame = next();
            }
            return frame;
        }

        @Override
        public void close() {
            ws.abort();
        }
    }
}
