package org.acme.users;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.LongStream;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.acme.testing.ChatClient;

/** The chat on one instance: frames, errors, keys, catch-up, history from the replica. Two clusters, no mocks. */
@QuarkusTest
@WithTestResource(PostgresPair.class)
class ChatTest {

    static List<Long> ids(List<JsonNode> frames) {
        return frames.stream().map(f -> f.get("id").asLong()).toList();
    }

    @Test
    void membersReceiveEveryMessageOnceInOrderIncludingTheirOwn() throws Exception {
        String room = TestData.uniqueRoom();
        try (ChatClient alice = Chats.join(room, "alice"); ChatClient bob = Chats.join(room, "bob")) {
            for (int i = 0; i < 3; i++) {
                alice.say("a" + i, null);
                bob.say("b" + i, null);
            }
            List<JsonNode> seenByAlice = alice.messages(6);
            List<JsonNode> seenByBob = bob.messages(6);
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), ids(seenByAlice), "ids count up from 1 without gaps");
            // the same messages in the same order; each delivery's consistency token is its own (relayed or caught up)
            assertEquals(ChatClient.withoutTokens(seenByAlice), ChatClient.withoutTokens(seenByBob), "both members see the same frames in the same order");
            assertTrue(seenByAlice.stream().allMatch(f -> f.path("token").asText().matches("[0-9A-F]+/[0-9A-F]+")),
                    "every message frame carries a consistency token: " + seenByAlice);
            assertEquals(List.of("a0", "a1", "a2"), seenByAlice.stream().filter(f -> f.get("user").asText().equals("alice"))
                    .map(f -> f.get("text").asText()).toList(), "a sender's messages keep their order");
            JsonNode first = seenByAlice.stream().filter(f -> f.get("text").asText().equals("a0")).findFirst().orElseThrow();
            assertEquals(room, first.get("room").asText());
            assertTrue(first.get("ts").asText().endsWith("Z"), "ts is an ISO-8601 instant: " + first);
            assertEquals(List.of(), alice.drain("message", 300), "exactly once");
            assertEquals(List.of(), bob.drain("message", 0), "exactly once");
            assertEquals(6, TestData.messagesOnPrimary(room));
        }
    }

    @Test
    void joinAndLeaveNoticesReachTheOtherMembers() throws Exception {
        String room = TestData.uniqueRoom();
        try (ChatClient alice = Chats.join(room, "alice")) {
            assertEquals("alice", alice.next("join").get("user").asText(), "a member hears its own join too");
            try (ChatClient bob = Chats.join(room, "bob")) {
                JsonNode join = alice.next("join");
                assertEquals("bob", join.get("user").asText());
                assertTrue(join.get("id") == null, "notices are not stored and have no id: " + join);
            }
            assertEquals("bob", alice.next("leave").get("user").asText());
        }
        assertEquals(0, TestData.messagesOnPrimary(room), "notices are not stored");
    }

    @Test
    void badFramesGetAnErrorFrameAndTheSocketStaysOpen() throws Exception {
        String room = TestData.uniqueRoom();
        try (ChatClient alice = Chats.join(room, "alice")) {
            String tooLong = "x".repeat(1001);
            String[][] cases = {
                    {"not json", "400"},
                    {"[1,2]", "400"},
                    {"{\"type\":\"shout\",\"text\":\"hi\"}", "400"},
                    {"{\"type\":\"message\"}", "400"},
                    {"{\"type\":\"message\",\"text\":\"   \"}", "400"},
                    {"{\"type\":\"message\",\"text\":\"hi\",\"extra\":1}", "400"},
                    {"{\"type\":\"message\",\"text\":\"hi\",\"key\":\"has spaces\"}", "400"},
                    {"{\"type\":\"message\",\"text\":\"nul\\u0000inside\"}", "400"},
                    {"{\"type\":\"message\",\"text\":\"" + tooLong + "\"}", "413"}};
            for (String[] badFrame : cases) {
                alice.sendRaw(badFrame[0]);
                JsonNode error = alice.next("error");
                assertEquals(Integer.parseInt(badFrame[1]), error.get("status").asInt(), badFrame[0] + " -> " + error);
                assertTrue(error.get("detail").asText().length() > 5, "the error says why: " + error);
            }
            // 1000 characters (not UTF-16 units) are fine, and the socket still works
            String longest = "é".repeat(999) + "😀";
            alice.say(longest, null);
            JsonNode stored = alice.next("message");
            assertEquals(longest, stored.get("text").asText());
            assertEquals(1, stored.get("id").asLong(), "nothing before it was stored");
            assertEquals(1, TestData.messagesOnPrimary(room));
        }
    }

    /**
     * Issue #20 part 3: an escaped unpaired surrogate is valid UTF-8 (six ASCII characters) naming no character. It is
     * refused like any bad value, in every field and wherever it sits: an error frame, and the socket goes on (1007 is
     * for bytes that are not UTF-8). Nothing is stored, and the next good message is delivered.
     */
    @Test
    void anEscapedUnpairedSurrogateAnywhereGetsAnErrorFrameAndTheSocketGoesOn() throws Exception {
        String room = TestData.uniqueRoom();
        try (ChatClient alice = Chats.join(room, "alice")) {
            String[][] cases = {
                    // frame, the field the error names (null: none)
                    {"{\"type\":\"message\",\"text\":\"a\\ud800b\"}", "text"},
                    {"{\"type\":\"message\",\"text\":\"\\ud800\"}", "text"},
                    {"{\"type\":\"message\",\"text\":\"x\\udfff\"}", "text"},
                    {"{\"type\":\"message\",\"text\":\"\\udc00\\ud800\"}", "text"},
                    {"{\"type\":\"message\",\"text\":\"hi\",\"key\":\"k\\ud800\"}", "key"},
                    {"{\"type\":\"mess\\ud800age\",\"text\":\"hi\"}", "type"},
                    {"{\"type\":\"message\",\"text\":\"hi\",\"k\\ud800\":\"x\"}", null},
                    {"{\"type\":\"message\",\"text\":[\"\\ud800\"]}", null}};
            for (String[] bad : cases) {
                alice.sendRaw(bad[0]);
                JsonNode error = alice.next("error");
                assertEquals(400, error.get("status").asInt(), bad[0] + " -> " + error);
                if (bad[1] != null) {
                    assertTrue(error.get("detail").asText().startsWith(bad[1] + " must be valid Unicode"), bad[0] + " -> " + error);
                }
            }
            // a pair, escaped, is a character like any other; and the socket is still open
            alice.sendRaw("{\"type\":\"message\",\"text\":\"ok \\ud83d\\ude00\",\"key\":\"after-surrogates\"}");
            JsonNode stored = alice.next("message");
            assertEquals("ok 😀", stored.get("text").asText());
            assertEquals(1, stored.get("id").asLong(), "nothing before it was stored");
            assertEquals(List.of(), alice.drain("error", 0), "no error for the good message");
            assertEquals(1, TestData.messagesOnPrimary(room));
            assertEquals(Integer.MIN_VALUE, alice.awaitClosed(0), "still open");
        }
    }

    @Test
    void aFrameOverTheSizeLimitClosesTheSocketWith1009() throws Exception {
        try (ChatClient alice = Chats.join(TestData.uniqueRoom(), "alice")) {
            alice.sendRaw("{\"type\":\"message\",\"text\":\"" + "x".repeat(17 * 1024) + "\"}");
            assertEquals(1009, alice.closeCode(), "frames so far: " + alice.frames);
        }
    }

    @Test
    void aMessageOverTheSizeLimitInSmallFragmentsClosesTheSocketWith1009() throws Exception {
        try (ChatClient alice = Chats.join(TestData.uniqueRoom(), "alice")) {
            // the client is still sending when the server refuses the message: it still learns why (no reset)
            alice.sendFragments("{\"type\":\"message\",\"text\":\"" + "x".repeat(40 * 1024) + "\"}", 4096);
            assertEquals(1009, alice.closeCode(), "frames so far: " + alice.frames + "; broken by " + alice.brokenBy);
        }
    }

    @Test
    void aClientThatGoesOnSendingLearnsWhyAndOneThatNeverAnswersTheCloseIsCutOff() throws Exception {
        // 8 MiB: far more than the kernel's socket buffers, so the client is still writing long after the refusal
        byte[] tooBig = ("{\"type\":\"message\",\"text\":\"" + "x".repeat(8 << 20) + "\"}").getBytes(StandardCharsets.UTF_8);
        RawChat.CloseSeen seen = RawChat.sendAndNeverAnswerTheClose(RestAssured.port, TestData.uniqueRoom(), "mallory", tooBig, 60_000);
        assertEquals(1009, seen.code(), "the close code reaches a client that went on sending (no reset midway)");
        assertTrue(seen.connectionKeptMillis() >= 0 && seen.connectionKeptMillis() < 5_000,
                "the server ends the connection itself, without the client's Close: " + seen);
    }

    @Test
    void aClientThatStopsReadingHoldsUpNoOneAndIsCutOffPastItsOutbox() throws Exception {
        String room = TestData.uniqueRoom();
        // frames of ~4 KB (1,000 four-byte characters), 6 MB in all: more than the socket buffers (up to 4 MiB) and
        // the outbox (200 frames in tests, 0.8 MB) hold
        int count = 1500;
        String text = "\uD83D\uDE00".repeat(999);
        try (RawChat.Stalled mallory = RawChat.joinAndStopReading(RestAssured.port, room, "mallory");
                ChatClient alice = Chats.join(room, "alice")) {
            for (int i = 0; i < count; i++) {
                alice.say(i % 10 + text, null);
            }
            // alice's posts are handled one after the other (one socket): a wide bound; a stall still fails it
            assertEquals(count, alice.awaitMessages(count, 180), "the reading member gets every message");
            assertEquals(LongStream.rangeClosed(1, count).boxed().toList(), alice.ids(), "in order, without gaps");

            RawChat.Received stalled = mallory.readToEnd(20);
            assertEquals(1013, stalled.closeCode(), "told to reconnect (with after) once too far behind: " + stalled);
            assertTrue(stalled.messages() < count, "cut off, not buffered without bound: " + stalled);
        }
    }

    @Test
    void anInvalidRoomUserOrAfterIsRefusedWithAReason() throws Exception {
        String[][] cases = {
                {"bad.room", "alice", ""},
                {"r".repeat(65), "alice", ""},
                {TestData.uniqueRoom(), null, ""},
                {TestData.uniqueRoom(), "u".repeat(65), ""},
                {TestData.uniqueRoom(), "tab\there", ""},
                {TestData.uniqueRoom(), "alice", "&after=-1"},
                {TestData.uniqueRoom(), "alice", "&after=abc"}};
        for (String[] refused : cases) {
            try (ChatClient client = Chats.connect(refused[0], refused[1], refused[2])) {
                JsonNode error = client.next("error");
                assertEquals(400, error.get("status").asInt(), String.join(" ", refused) + " -> " + error);
                assertEquals(1008, client.closeCode(), "closed as a policy violation");
            }
        }
    }

    @Test
    void aResentKeyIsStoredOnceAndLeavesNoGap() throws Exception {
        String room = TestData.uniqueRoom();
        try (ChatClient alice = Chats.join(room, "alice")) {
            alice.say("once", "k-1");
            alice.say("once", "k-1"); // the resend after a lost acknowledgement
            alice.say("next", "k-2");
            List<JsonNode> seen = alice.messages(2);
            assertEquals(List.of("once", "next"), seen.stream().map(f -> f.get("text").asText()).toList());
            assertEquals(List.of(1L, 2L), ids(seen));
            assertEquals("k-1", seen.get(0).get("key").asText(), "the key comes back: the sender's acknowledgement");
            assertEquals(List.of(), alice.drain("message", 300));
            assertEquals(2, TestData.messagesOnPrimary(room));
        }
        // another user may use the same key
        try (ChatClient bob = Chats.join(room, "bob")) {
            bob.say("mine", "k-1");
            assertEquals(3, bob.next("message").get("id").asLong());
        }
    }

    @Test
    void reconnectingWithAfterCatchesUpWithoutGapsOrDuplicates() throws Exception {
        String room = TestData.uniqueRoom();
        try (ChatClient alice = Chats.join(room, "alice")) {
            for (int i = 1; i <= 5; i++) {
                alice.say("m" + i, null);
            }
            alice.messages(5);
            try (ChatClient carol = Chats.connect(room, "carol", "&after=2")) {
                carol.next("hello");
                assertEquals(List.of(3L, 4L, 5L), ids(carol.messages(3)), "what came after 2");
                alice.say("m6", null);
                assertEquals(6, carol.next("message").get("id").asLong(), "then live");
                assertEquals(List.of(), carol.drain("message", 300));
            }
            // a client without after starts at the room's present: no history on the socket
            try (ChatClient dave = Chats.join(room, "dave")) {
                alice.say("m7", null);
                assertEquals(7, dave.next("message").get("id").asLong());
            }
        }
    }

    @Test
    void historyIsReadFromTheReplica() throws Exception {
        String room = TestData.uniqueRoom();
        try (ChatClient alice = Chats.join(room, "alice")) {
            for (int i = 1; i <= 5; i++) {
                alice.say("h" + i, null);
            }
            alice.messages(5);
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"5".equals(PostgresPair.current.query(PostgresPair.REPLICA, "reader",
                "SELECT count(*) FROM users.chat_messages WHERE room = '" + room + "'")) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        given().get("/chat/" + room + "/messages").then().statusCode(200)
                .body("id", contains(1, 2, 3, 4, 5))
                .body("text", contains("h1", "h2", "h3", "h4", "h5"))
                .body("type", contains("message", "message", "message", "message", "message"))
                .body("[0].user", equalTo("alice"))
                .body("[0].room", equalTo(room));
        given().queryParam("after", 3).get("/chat/" + room + "/messages").then().statusCode(200).body("id", contains(4, 5));
        given().queryParam("after", 1).queryParam("limit", 2).get("/chat/" + room + "/messages").then()
                .body("id", contains(2, 3));
        given().get("/chat/" + TestData.uniqueRoom() + "/messages").then().statusCode(200).body("$", hasSize(0));
        given().get("/db").then().body("read.node", equalTo(PostgresPair.REPLICA));
        // the history's rows are on the replica, and the reader cannot write them there
        assertEquals("5", PostgresPair.current.query(PostgresPair.REPLICA, "reader",
                "SELECT count(*) FROM users.chat_messages WHERE room = '" + room + "'"));
    }

    @Test
    void badHistoryParametersAre400Problems() {
        String room = TestData.uniqueRoom();
        TestData.problem(given().queryParam("after", -1).get("/chat/" + room + "/messages").then(), 400);
        TestData.problem(given().queryParam("after", "x").get("/chat/" + room + "/messages").then(), 400);
        TestData.problem(given().queryParam("limit", 0).get("/chat/" + room + "/messages").then(), 400);
        TestData.problem(given().queryParam("limit", 501).get("/chat/" + room + "/messages").then(), 400)
                .body("errors[0].field", equalTo("limit"));
        TestData.problem(given().get("/chat/bad.room/messages").then(), 400)
                .body("errors[0].field", equalTo("room"));
    }

    @Test
    void anIdleClientIsPinged() throws Exception {
        // %test pings every second (30 s by default, under nginx's 75 s proxy_read_timeout for /chat)
        try (ChatClient alice = Chats.join(TestData.uniqueRoom(), "alice")) {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (alice.pings.get() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(alice.pings.get() >= 2, "pings in 5 s: " + alice.pings.get());
        }
    }

    @Test
    void thePageIsServed() {
        given().get("/chat.html").then().statusCode(200).contentType("text/html");
    }
}
