package org.acme.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.acme.balance.topology.LocalTopology;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.acme.testing.ChatClient;

/**
 * The chat across instances (./balance up: nginx, users-backend-1..3, HAProxy, primary, replica): a message
 * sent on one instance reaches the room's members on every instance exactly once, in order, and a client whose
 * instance dies reconnects through nginx to another and catches up without a gap.
 */
@ExtendWith(SharedTopology.class)
class ChatAcrossInstancesIT {

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(2)).build();

    static final Path ROOT = SharedTopology.ROOT;
    static final List<String> INSTANCES = List.of("users-backend-1", "users-backend-2");

    static LocalTopology balance;

    @BeforeAll
    static void topology() {
        balance = SharedTopology.balance();
    }

    static String uniqueRoom(String name) {
        return name + "-" + System.currentTimeMillis();
    }

    static List<Long> oneTo(long n) {
        return LongStream.rangeClosed(1, n).boxed().toList();
    }

    @Test
    void membersOnDifferentInstancesReceiveEachOthersMessagesExactlyOnceInOrder() throws Exception {
        String room = uniqueRoom("across");
        try (ChatClient alice = new ChatClient(room, "alice").connect(balance.instance("users-backend-1", ""));
                ChatClient bob = new ChatClient(room, "bob").connect(balance.instance("users-backend-2", ""));
                ChatClient carol = new ChatClient(room, "carol").connect(balance.api(""))) {
            assertEquals("users-backend-1", alice.instance);
            assertEquals("users-backend-2", bob.instance);
            System.out.println("chat: alice on " + alice.instance + ", bob on " + bob.instance + ", carol (nginx) on "
                    + carol.instance);
            for (int i = 1; i <= 5; i++) {
                alice.say("alice " + i, "a" + i);
                bob.say("bob " + i, "b" + i);
                carol.say("carol " + i, "c" + i);
            }
            for (ChatClient client : List.of(alice, bob, carol)) {
                assertEquals(15, client.awaitMessages(15, 20), client.user + " received every message");
                client.settle(500);
                assertEquals(oneTo(15), client.ids(), client.user + ": each message once, ids in order without gaps");
                for (ChatClient sender : List.of(alice, bob, carol)) {
                    assertEquals(List.of(sender.user + " 1", sender.user + " 2", sender.user + " 3", sender.user + " 4",
                            sender.user + " 5"), texts(client, sender.user), client.user + " sees " + sender.user + "'s in order");
                }
            }
            // (each delivery's consistency token is its own: the messages are compared without them)
            assertEquals(ChatClient.withoutTokens(alice.messages), ChatClient.withoutTokens(bob.messages),
                    "the same frames, in the same order, on both instances");
            assertEquals(ChatClient.withoutTokens(alice.messages), ChatClient.withoutTokens(carol.messages));
        }
    }

    @Test
    void aThousandMessagesAcrossTwentyClientsOnTwoInstancesNoneLostNoneTwice() throws Exception {
        String room = uniqueRoom("thousand");
        int clients = 20;
        int perClient = 50;
        int total = clients * perClient;
        List<ChatClient> members = new ArrayList<>();
        ExecutorService senders = Executors.newFixedThreadPool(clients);
        try {
            for (int c = 0; c < clients; c++) {
                members.add(new ChatClient(room, "user" + c).connect(balance.instance(INSTANCES.get(c % 2), "")));
            }
            long started = System.nanoTime();
            List<Future<?>> sending = new ArrayList<>();
            for (ChatClient member : members) {
                sending.add(senders.submit(() -> {
                    for (int m = 1; m <= perClient; m++) {
                        member.say(member.user + " " + m, member.user + "-" + m);
                    }
                    return null;
                }));
            }
            for (Future<?> sent : sending) {
                sent.get(60, TimeUnit.SECONDS);
            }
            for (ChatClient member : members) {
                assertEquals(total, member.awaitMessages(total, 60), member.user + " received all " + total);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("chat: %d messages from %d clients on 2 instances delivered to all %d in %.1f s"
                    + " (%.0f stored/s, %.0f deliveries/s)%n", total, clients, clients, seconds, total / seconds,
                    total * clients / seconds);
            for (ChatClient member : members) {
                member.settle(member == members.get(0) ? 1000 : 0);
                assertEquals(oneTo(total), member.ids(), member.user + ": every id once, in order, no gap");
                assertEquals(ChatClient.withoutTokens(members.get(0).messages), ChatClient.withoutTokens(member.messages),
                        member.user + " saw the room as user0 did");
                List<String> own = texts(member, member.user);
                assertEquals(perClient, own.size());
                for (int m = 1; m <= perClient; m++) {
                    assertEquals(member.user + " " + m, own.get(m - 1), member.user + "'s own messages in the order sent");
                }
            }
            assertEquals(String.valueOf(total), balance.psql("service-db",
                    "SELECT count(*) FROM users.chat_messages WHERE room = '" + room + "'"), "stored once each");
        } finally {
            senders.shutdownNow();
            members.forEach(ChatClient::close);
        }
    }

    @Test
    void aClientWhoseInstanceDiesReconnectsThroughNginxAndCatchesUpWithoutGaps() throws Exception {
        String room = uniqueRoom("reconnect");
        ChatClient dave = new ChatClient(room, "dave").connect(balance.api(""));
        String doomed = dave.instance;
        String survivor = doomed.equals("users-backend-1") ? "users-backend-2" : "users-backend-1";
        // the chat page in Chromium loses its instance in the same kill (chat-reconnect.mjs, a room of its own):
        // alice's page through nginx, pinned like dave to this address's instance, bob's page on another
        Path out = ROOT.resolve("topology-tests/target/browser");
        Path log = ROOT.resolve("topology-tests/target/browser-reconnect.log");
        BrowserRun pages = null;
        try (ChatClient erin = new ChatClient(room, "erin").connect(balance.instance(survivor, ""))) {
            for (int i = 1; i <= 5; i++) {
                erin.say("before " + i, "before-" + i);
            }
            assertEquals(5, dave.awaitMessages(5, 20));

            pages = new BrowserRun(log, "chat-reconnect.mjs", balance.api("").toString(), out.toString(),
                    balance.instance(survivor, "").toString());
            // the first run of run.sh on a machine may install Chromium and playwright-core first
            assertEquals("KILL " + doomed, pages.awaitLine("KILL ", 240),
                    "alice's page, through nginx, is on dave's instance (see " + log + ")");
            balance.kill(doomed);
            pages.tell("killed");
            assertNotEquals(Integer.MIN_VALUE, dave.awaitClosed(10), "dave's socket ended with its instance");
            long killedAt = System.nanoTime();
            for (int i = 1; i <= 10; i++) {
                erin.say("while away " + i, "away-" + i); // dave misses these
            }

            dave.connect(balance.api("")); // as the page does: through nginx, after=<last id>
            double reconnectMs = (System.nanoTime() - killedAt) / 1e6;
            assertNotEquals(doomed, dave.instance, "nginx sent dave to an instance that is up");
            assertEquals(15, dave.awaitMessages(15, 20), "dave caught up");
            erin.say("after", "after");
            assertEquals(16, dave.awaitMessages(16, 20));
            dave.settle(500);
            assertEquals(oneTo(16), dave.ids(), "no gap, no duplicate across the reconnect");
            System.out.printf("chat: %s killed; dave reconnected through nginx to %s %.0f ms later and caught up 10"
                    + " missed messages%n", doomed, dave.instance, reconnectMs);

            // the history endpoint (read from the replica) has the same, for a client that prefers to fetch it
            List<Long> history = List.of();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!history.equals(LongStream.rangeClosed(6, 16).boxed().toList()) && System.nanoTime() < deadline) {
                HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        balance.api("/chat/" + room + "/messages?after=5")).GET().build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode(), response.body());
                List<Long> ids = new ArrayList<>();
                ChatClient.JSON.readTree(response.body()).forEach(m -> ids.add(m.get("id").asLong()));
                history = ids;
                Thread.sleep(100);
            }
            assertEquals(LongStream.rangeClosed(6, 16).boxed().toList(), history, "history after 5 is complete");

            // the page's checks ran meanwhile; it ends before the instance returns, so it reconnected to another
            int pageExit = pages.awaitExit(60);
            System.out.println(Files.readString(log));
            System.out.printf("chat: chat-reconnect.mjs ran %.1f s, %.1f s of it before the kill%n",
                    (System.nanoTime() - pages.started) / 1e9, (pages.lineSeen - pages.started) / 1e9);
            assertEquals(0, pageExit, "chat-reconnect.mjs passed (see " + log + ")");
            assertTrue(Files.readString(log).contains("not on " + doomed), "alice's page left " + doomed);
            assertTrue(Files.size(out.resolve("chat-reconnect.png")) > 1000, "the screenshot was kept");

            // the instance returns and rejoins: once nginx's fail_timeout (5 s) has passed, it gets its clients back
            balance.start(doomed);
            String rejoined = null;
            long back = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!doomed.equals(rejoined) && System.nanoTime() < back) {
                try (ChatClient probe = new ChatClient(room, "probe").connect(balance.api(""))) {
                    rejoined = probe.instance;
                }
                Thread.sleep(500);
            }
            assertEquals(doomed, rejoined, "nginx sends this client address to the restarted instance again");
        } finally {
            dave.close();
            if (pages != null) {
                pages.close();
            }
            balance.start(doomed);
        }
    }

    @Test
    void theChatPageWorksInChromiumAcrossTwoInstances() throws Exception {
        // alice's page goes through nginx; bob's is served by the other instance, so the fan-out is exercised
        String aliceInstance;
        try (ChatClient probe = new ChatClient(uniqueRoom("probe"), "probe").connect(balance.api(""))) {
            aliceInstance = probe.instance; // nginx pins this client address to one instance
        }
        String bobInstance = aliceInstance.equals("users-backend-1") ? "users-backend-2" : "users-backend-1";
        Path out = ROOT.resolve("topology-tests/target/browser");
        Process browser = new ProcessBuilder("bash", ROOT.resolve("topology-tests/browser/run.sh").toString(),
                balance.api("").toString(), out.toString(), balance.instance(bobInstance, "").toString())
                .redirectErrorStream(true).redirectOutput(ROOT.resolve("topology-tests/target/browser.log").toFile()).start();
        assertTrue(browser.waitFor(300, TimeUnit.SECONDS), "the browser test finished");
        String log = Files.readString(ROOT.resolve("topology-tests/target/browser.log"));
        System.out.println(log);
        assertEquals(0, browser.exitValue(), "chat-browser.mjs passed (see target/browser.log)");
        assertTrue(log.contains("alice on " + aliceInstance + ", bob on " + bobInstance), "pages on two instances");
        assertTrue(Files.size(out.resolve("chat.png")) > 1000, "the screenshot was kept");
    }

    /**
     * A browser test of topology-tests/browser run in the background (run.sh): its output goes to LOG line by line,
     * where the test can wait for a line the script prints, and the test can answer on its stdin.
     */
    static final class BrowserRun implements AutoCloseable {
        final Process process;
        final Path log;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Thread reader;
        final long started = System.nanoTime();
        /** When awaitLine found its line. */
        long lineSeen;

        BrowserRun(Path log, String script, String... args) throws Exception {
            this.log = log;
            List<String> command = new ArrayList<>(List.of("bash", ROOT.resolve("topology-tests/browser/run.sh").toString(),
                    script));
            command.addAll(List.of(args));
            Files.deleteIfExists(log);
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            reader = new Thread(() -> {
                try (var in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        Files.writeString(log, line + "\n", StandardOpenOption.CREATE,
                                StandardOpenOption.APPEND);
                        lines.add(line);
                    }
                } catch (IOException e) {
                    lines.add("(reading the browser's output failed: " + e + ")");
                }
            }, "browser-output");
            reader.setDaemon(true);
            reader.start();
        }

        /** The first line starting with PREFIX within SECONDS, or the failure saying why there is none. */
        String awaitLine(String prefix, int seconds) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                String line = lines.poll(200, TimeUnit.MILLISECONDS);
                if (line != null && line.startsWith(prefix)) {
                    lineSeen = System.nanoTime();
                    return line;
                }
                if (line == null && !process.isAlive() && !reader.isAlive() && lines.isEmpty()) {
                    throw new AssertionError("the browser test ended (exit " + process.exitValue() + ") before printing \""
                            + prefix + "\": " + Files.readString(log));
                }
            }
            throw new AssertionError("no \"" + prefix + "\" from the browser test within " + seconds + " s: "
                    + (Files.exists(log) ? Files.readString(log) : ""));
        }

        void tell(String line) throws Exception {
            process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
        }

        /** Its exit status, once it and its output are done. */
        int awaitExit(int seconds) throws Exception {
            assertTrue(process.waitFor(seconds, TimeUnit.SECONDS), "the browser test finished within " + seconds + " s");
            reader.join(TimeUnit.SECONDS.toMillis(5));
            return process.exitValue();
        }

        /** Ends the run if it is still going: node and Chromium (run.sh's descendants) first, then run.sh. */
        @Override
        public void close() {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
        }
    }

    private static List<String> texts(ChatClient client, String sender) {
        return client.messages.stream().filter(m -> sender.equals(m.get("user").asText()))
                .map(m -> m.get("text").asText()).toList();
    }
}
