package org.acme.races;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.acme.testing.ChatClient;

/**
 * Issue #20: requests that change the same row at the same moment. Each case sends its requests together (each on a
 * thread and a connection of its own, released by one barrier) and checks what one serial order of the same requests
 * would answer: the exact statuses, never a 5xx, the bodies, and the rows afterwards, read on the primary. Shared by
 * the service's ConcurrentWritesTest (one instance) and topology-tests' ConcurrentWritesIT (two instances, and
 * nginx), as the hostile corpus is.
 */
public final class WriteRaces implements AutoCloseable {

    /** Where a race runs. */
    public interface Target {

        /** Where requests go: request i of a race to {@code bases().get(i % size)}, e.g. two instances in turn. */
        List<URI> bases();

        /** SQL run on the primary: the first column of the first row as text, null when there is no row. */
        String onPrimary(String sql) throws Exception;
    }

    /** One answer: its status, its body as JSON (null when empty), its headers. */
    public record Answer(int status, JsonNode body, HttpResponse<String> response) {

        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }

        String problemType() {
            return body == null ? null : body.path("type").asText(null);
        }
    }

    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Target target;
    private final int concurrency;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final ExecutorService threads;
    /** case -> outcome -> how many repetitions ended so, for the report. */
    private final Map<String, Map<String, Integer>> tally = new LinkedHashMap<>();
    /** How long each race took, from the barrier's release to the last answer (ms). */
    private final List<Long> raceMillis = new ArrayList<>();

    /** CONCURRENCY requests per race (at least 20 in the suites). */
    public WriteRaces(Target target, int concurrency) {
        this.target = target;
        this.concurrency = concurrency;
        this.threads = Executors.newFixedThreadPool(concurrency);
    }

    // ---- the cases ------------------------------------------------------------------------------------------------

    /** DELETE × N of one user: exactly one 204, the rest 404; the row is gone. */
    public void deleteOneUser() throws Exception {
        long id = createUser("Delete Racer", uniqueEmail("del"));
        List<Answer> answers = race(i -> request(i, "DELETE", "/users/" + id, null));
        assertStatuses(Map.of(204, 1, 404, concurrency - 1), answers, "DELETE of one user");
        answers.stream().filter(a -> a.status() == 404).forEach(a -> assertProblem(a, "not-found"));
        assertNull(target.onPrimary("SELECT id FROM users.app_user WHERE id = " + id), "user " + id + " is gone");
        record("DELETE×" + concurrency + " of one user", answers);
    }

    /**
     * PUT × N of one user, each with its own name and email: every one 200 (last writer wins), each 200 body what its
     * request stored, and the row afterwards exactly one request's name AND email, with that request's updatedAt.
     */
    public void putOneUser() throws Exception {
        long id = createUser("Put Racer", uniqueEmail("put"));
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<ObjectNode> bodies = IntStream.range(0, concurrency)
                .mapToObj(i -> user("Put Racer " + i, "put-" + i + "-" + run + "@example.org")).toList();
        List<Answer> answers = race(i -> request(i, "PUT", "/users/" + id, bodies.get(i)));
        assertStatuses(Map.of(200, concurrency), answers, "PUT of one user");
        for (int i = 0; i < concurrency; i++) {
            assertStored(bodies.get(i), answers.get(i), id);
        }
        JsonNode row = row(id);
        assertNotNull(row, "user " + id + " still exists");
        int winner = winner(bodies, answers, row);
        assertTrue(winner >= 0, "the row is exactly one PUT's body, with that PUT's updatedAt: " + row);
        record("PUT×" + concurrency + " of one user", answers);
    }

    /**
     * PUT and DELETE of one user, alternating: PUTs answer 200 or 404, DELETEs one 204 and the rest 404 (in any serial
     * order of them exactly one DELETE finds the user), each 200 body what its PUT stored; the user is gone afterwards
     * (whichever order: the one DELETE that found it came after every PUT that answered 200).
     */
    public void putAndDeleteOneUser() throws Exception {
        long id = createUser("Put Delete Racer", uniqueEmail("pd"));
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<ObjectNode> bodies = IntStream.range(0, concurrency)
                .mapToObj(i -> user("Put Delete Racer " + i, "pd-" + i + "-" + run + "@example.org")).toList();
        List<Answer> answers = race(i -> i % 2 == 0
                ? request(i, "PUT", "/users/" + id, bodies.get(i))
                : request(i, "DELETE", "/users/" + id, null));
        assertNo5xx(answers);
        List<Answer> puts = new ArrayList<>();
        List<Answer> deletes = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            Answer answer = answers.get(i);
            if (i % 2 == 0) {
                puts.add(answer);
                assertTrue(answer.status() == 200 || answer.status() == 404, "PUT answered " + describe(answer));
                if (answer.status() == 200) {
                    assertStored(bodies.get(i), answer, id);
                }
            } else {
                deletes.add(answer);
                assertTrue(answer.status() == 204 || answer.status() == 404, "DELETE answered " + describe(answer));
            }
        }
        assertStatuses(Map.of(204, 1, 404, deletes.size() - 1), deletes, "the DELETEs");
        assertNull(row(id), "user " + id + " is gone: one DELETE found it, and every PUT after it found nothing");
        tally("PUT×" + puts.size() + " and DELETE×" + deletes.size() + " of one user",
                "PUT " + outcome(puts) + "; DELETE " + outcome(deletes));
    }

    /** POST × N with one email, no key: one 201, the rest 409 (conflict); one row, the 201's. */
    public void postOneEmail() throws Exception {
        String email = uniqueEmail("post");
        List<Answer> answers = race(i -> request(i, "POST", "/users", user("Post Racer " + i, email)));
        assertStatuses(Map.of(201, 1, 409, concurrency - 1), answers, "POST of one email");
        answers.stream().filter(a -> a.status() == 409).forEach(a -> assertProblem(a, "conflict"));
        Answer created = answers.stream().filter(a -> a.status() == 201).findFirst().orElseThrow();
        assertEquals("1", target.onPrimary("SELECT count(*) FROM users.app_user WHERE email = '" + email + "'"));
        assertEquals(created.body().get("name").asText(),
                target.onPrimary("SELECT name FROM users.app_user WHERE email = '" + email + "'"), "the row is the 201's");
        record("POST×" + concurrency + " with one email", answers);
    }

    /**
     * POST × N with one Idempotency-Key and one body: every answer 201 with the same user, one created it and the
     * others are marked Idempotent-Replayed; one row, one key.
     */
    public void postOneIdempotencyKey() throws Exception {
        String key = UUID.randomUUID().toString();
        String email = uniqueEmail("key");
        ObjectNode body = user("Key Racer", email);
        List<Answer> answers = race(i -> request(i, "POST", "/users", body).header("Idempotency-Key", key));
        assertStatuses(Map.of(201, concurrency), answers, "POST with one Idempotency-Key");
        Set<Long> ids = answers.stream().map(a -> a.body().get("id").asLong()).collect(Collectors.toSet());
        assertEquals(1, ids.size(), "every answer is the same user: " + ids);
        long replayed = answers.stream().filter(a -> "true".equals(a.header("Idempotent-Replayed"))).count();
        assertEquals(concurrency - 1, replayed, "one created it, the others were replays");
        // one user's Location (absolute with the Host each instance was reached by, so compared by path)
        assertEquals(Set.of("/users/" + ids.iterator().next()), answers.stream()
                .map(a -> URI.create(a.header("Location")).getPath()).collect(Collectors.toSet()), "one Location");
        long id = ids.iterator().next();
        assertEquals("1", target.onPrimary("SELECT count(*) FROM users.app_user WHERE email = '" + email + "'"));
        assertEquals(String.valueOf(id),
                target.onPrimary("SELECT user_id FROM users.idempotency_key WHERE key = '" + key + "'"));
        tally("POST×" + concurrency + " with one Idempotency-Key",
                outcome(answers) + " (" + (concurrency - replayed) + " created, " + replayed + " replayed, one user)");
    }

    /**
     * PUT of N users to one new email: one 200, the rest 409 (conflict); the email is the 200's user's, every other
     * user keeps its own.
     */
    public void putUsersToOneNewEmail() throws Exception {
        List<String> emails = IntStream.range(0, concurrency).mapToObj(i -> uniqueEmail("same" + i)).toList();
        List<Long> ids = createUsers("Same Email Racer", emails);
        String shared = uniqueEmail("shared");
        List<Answer> answers = race(i -> request(i, "PUT", "/users/" + ids.get(i), user("Same Email Racer " + i, shared)));
        assertStatuses(Map.of(200, 1, 409, concurrency - 1), answers, "PUT of " + concurrency + " users to one email");
        answers.stream().filter(a -> a.status() == 409).forEach(a -> assertProblem(a, "conflict"));
        int winner = IntStream.range(0, concurrency).filter(i -> answers.get(i).status() == 200).findFirst().orElseThrow();
        assertEquals(String.valueOf(ids.get(winner)),
                target.onPrimary("SELECT id FROM users.app_user WHERE email = '" + shared + "'"), "the 200's user has it");
        assertEquals(String.valueOf(concurrency - 1), unchanged(ids, emails), "the others keep their own emails");
        record("PUT×" + concurrency + " of " + concurrency + " users to one new email", answers);
    }

    /**
     * N/2 pairs of users swapping their emails, all at once. In any serial order both PUTs of a pair find the other's
     * email still taken: 409 both, nothing changes. Concurrently the two UPDATEs wait for each other's unique-index
     * entry, a deadlock that PostgreSQL breaks by aborting one: that one runs again (RetryIfNotCommitted) and then answers 409
     * like the other; never a 500, never a write-conflict.
     */
    public void swapEmailsInPairs() throws Exception {
        List<String> emails = IntStream.range(0, concurrency).mapToObj(i -> uniqueEmail("swap" + i)).toList();
        List<Long> ids = createUsers("Swapper", emails);
        // request i takes the email of its partner i ^ 1
        List<Answer> answers = race(i -> request(i, "PUT", "/users/" + ids.get(i), user("Swapper " + i, emails.get(i ^ 1))));
        assertStatuses(Map.of(409, concurrency), answers, "swapping emails in pairs");
        answers.forEach(a -> assertProblem(a, "conflict"));
        assertEquals(String.valueOf(concurrency), unchanged(ids, emails), "every user keeps its email");
        record("PUT×" + concurrency + " swapping emails in " + concurrency / 2 + " pairs", answers);
    }

    /**
     * SENDERS (sockets of one user in one room, on one instance or several) send one frame with one key at the same
     * moment: stored once, and every sender gets that one message back with its key (its acknowledgement), the same
     * id for all, and no error.
     */
    public void chatOneKey(List<ChatClient> senders) throws Exception {
        String room = senders.get(0).room;
        String user = senders.get(0).user;
        String key = "k-" + UUID.randomUUID();
        String text = "once " + key;
        List<Callable<Void>> sends = new ArrayList<>();
        for (ChatClient sender : senders) {
            sends.add(() -> {
                sender.say(text, key);
                return null;
            });
        }
        together(sends, true);
        Set<Long> ids = new HashSet<>();
        for (ChatClient sender : senders) {
            JsonNode message = nextMessage(sender);
            assertEquals(key, message.path("key").asText(), sender.instance + ": " + message);
            assertEquals(text, message.path("text").asText());
            assertEquals(user, message.path("user").asText());
            ids.add(message.get("id").asLong());
        }
        assertEquals(1, ids.size(), "every sender got the same message: ids " + ids);
        assertEquals("1", target.onPrimary("SELECT count(*) FROM users.chat_messages WHERE room = '" + room
                + "' AND client_key = '" + key + "'"), "stored once");
        tally("chat: " + senders.size() + " sockets of one user send one key",
                "stored once, " + senders.size() + " acknowledged with one id");
    }

    /**
     * After the chat races: nothing more arrived on any sender (no message twice), each has ids 1..MESSAGES of the
     * room in order, and the room holds MESSAGES rows.
     */
    public void chatSettled(List<ChatClient> senders, int messages) throws Exception {
        Thread.sleep(300); // time for anything that should not come
        for (ChatClient sender : senders) {
            List<JsonNode> rest = new ArrayList<>();
            sender.frames.drainTo(rest);
            assertEquals(List.of(), rest.stream().filter(f -> Set.of("message", "error").contains(f.path("type").asText()))
                    .toList(), sender.instance + ": nothing more, no error");
            assertEquals(LongStream.rangeClosed(1, messages).boxed().toList(), sender.ids(),
                    sender.instance + ": each message once, in order");
        }
        assertEquals(String.valueOf(messages), target.onPrimary(
                "SELECT count(*) FROM users.chat_messages WHERE room = '" + senders.get(0).room + "'"));
    }

    /** Every case's outcomes over its repetitions, e.g. "DELETE×20 of one user ×10: 10×(1×204, 19×404)". */
    public String report() {
        StringBuilder report = new StringBuilder();
        tally.forEach((name, outcomes) -> {
            int runs = outcomes.values().stream().mapToInt(Integer::intValue).sum();
            report.append(name).append(" ×").append(runs).append(": ").append(outcomes.entrySet().stream()
                    .map(e -> e.getValue() + "×(" + e.getKey() + ")").collect(Collectors.joining(", "))).append('\n');
        });
        List<Long> sorted = raceMillis.stream().sorted().toList();
        if (!sorted.isEmpty()) {
            report.append(String.format("%d races: median %d ms, longest %d ms from the release to the last answer%n",
                    sorted.size(), sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1)));
        }
        return report.toString();
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }

    // ---- requests -------------------------------------------------------------------------------------------------

    /** Sends the requests REQUEST(0..N-1) at the same moment; their answers, in the same order. */
    public List<Answer> race(IntFunction<HttpRequest.Builder> request) throws Exception {
        return send(request, true);
    }

    private List<Answer> send(IntFunction<HttpRequest.Builder> request, boolean timed) throws Exception {
        List<Callable<Answer>> calls = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            HttpRequest built = request.apply(i).build();
            calls.add(() -> {
                HttpResponse<String> response = http.send(built, HttpResponse.BodyHandlers.ofString());
                String body = response.body();
                JsonNode json = body == null || body.isEmpty() ? null : parse(body);
                return new Answer(response.statusCode(), json, response);
            });
        }
        return together(calls, timed);
    }

    /** Runs CALLS on threads of their own, released together by one barrier; bounded in time. */
    private <T> List<T> together(List<Callable<T>> calls, boolean timed) throws Exception {
        long[] released = new long[1];
        CyclicBarrier start = new CyclicBarrier(calls.size(), () -> released[0] = System.nanoTime());
        List<Future<T>> futures = new ArrayList<>();
        for (Callable<T> call : calls) {
            futures.add(threads.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                return call.call();
            }));
        }
        List<T> results = new ArrayList<>();
        for (Future<T> future : futures) {
            results.add(future.get(TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS));
        }
        if (timed) {
            synchronized (raceMillis) {
                raceMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - released[0]));
            }
        }
        return results;
    }

    /** Request I of a race: to base I mod the number of bases. */
    private HttpRequest.Builder request(int i, String method, String path, JsonNode body) {
        URI base = target.bases().get(i % target.bases().size());
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT);
        if (body == null) {
            return builder.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return builder.header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
    }

    private long createUser(String name, String email) throws Exception {
        HttpResponse<String> response = http.send(request(0, "POST", "/users", user(name, email)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, response.statusCode(), response.body());
        return parse(response.body()).get("id").asLong();
    }

    /** A user per email, created together (not a race: every email differs); their ids, in order. */
    private List<Long> createUsers(String name, List<String> emails) throws Exception {
        List<Answer> created = send(i -> request(i, "POST", "/users", user(name + " " + i, emails.get(i))), false);
        assertStatuses(Map.of(201, emails.size()), created, "creating " + emails.size() + " users");
        return created.stream().map(a -> a.body().get("id").asLong()).toList();
    }

    // ---- checks ---------------------------------------------------------------------------------------------------

    private static void assertNo5xx(List<Answer> answers) {
        List<String> failed = answers.stream().filter(a -> a.status() >= 500).map(WriteRaces::describe).toList();
        assertEquals(List.of(), failed, "no race may answer 5xx");
    }

    /** The exact multiset of statuses (and no 5xx, which it would not contain). */
    private static void assertStatuses(Map<Integer, Integer> expected, List<Answer> answers, String what) {
        assertNo5xx(answers);
        assertEquals(new TreeMap<>(expected), statuses(answers), what + ": " + answers.stream()
                .filter(a -> a.status() >= 300 && !expected.containsKey(a.status())).map(WriteRaces::describe).toList());
    }

    private static void assertProblem(Answer answer, String type) {
        assertEquals("urn:problem:users:" + type, answer.problemType(), describe(answer));
        assertTrue(answer.header("Content-Type").startsWith("application/problem+json"), describe(answer));
    }

    /** A 200 of a PUT: the user with the id, and exactly the name and email the request sent. */
    private static void assertStored(ObjectNode sent, Answer answer, long id) {
        assertEquals(id, answer.body().get("id").asLong(), describe(answer));
        assertEquals(sent.get("name").asText(), answer.body().get("name").asText(), describe(answer));
        assertEquals(sent.get("email").asText(), answer.body().get("email").asText(), describe(answer));
    }

    /** The request whose name, email and updatedAt the row holds, -1 for none. */
    private static int winner(List<ObjectNode> bodies, List<Answer> answers, JsonNode row) {
        for (int i = 0; i < bodies.size(); i++) {
            Answer answer = answers.get(i);
            if (answer.status() == 200 && bodies.get(i).get("name").asText().equals(row.get("name").asText())
                    && bodies.get(i).get("email").asText().equals(row.get("email").asText())
                    && micros(answer.body().get("updatedAt").asText()) == row.get("updated").asLong()) {
                return i;
            }
        }
        return -1;
    }

    /** How many of the users IDS still have their EMAILS, on the primary (one query). */
    private String unchanged(List<Long> ids, List<String> emails) throws Exception {
        String pairs = IntStream.range(0, ids.size()).mapToObj(i -> "(" + ids.get(i) + ", '" + emails.get(i) + "')")
                .collect(Collectors.joining(", "));
        return target.onPrimary("SELECT count(*) FROM users.app_user WHERE (id, email) IN (" + pairs + ")");
    }

    /** The user's row on the primary as {name, email, updated (µs since the epoch)}, null when there is none. */
    private JsonNode row(long id) throws Exception {
        String row = target.onPrimary("SELECT json_build_object('name', name, 'email', email, 'updated',"
                + " (extract(epoch FROM updated_at) * 1000000)::bigint)::text FROM users.app_user WHERE id = " + id);
        return row == null || row.isEmpty() ? null : parse(row);
    }

    private static long micros(String instant) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.parse(instant));
    }

    static TreeMap<Integer, Integer> statuses(List<Answer> answers) {
        TreeMap<Integer, Integer> counts = new TreeMap<>();
        answers.forEach(a -> counts.merge(a.status(), 1, Integer::sum));
        return counts;
    }

    /** "1×204, 19×404" */
    static String outcome(List<Answer> answers) {
        return statuses(answers).entrySet().stream().map(e -> e.getValue() + "×" + e.getKey())
                .collect(Collectors.joining(", "));
    }

    private void record(String name, List<Answer> answers) {
        tally(name, outcome(answers));
    }

    private void tally(String name, String outcome) {
        tally.computeIfAbsent(name, k -> new LinkedHashMap<>()).merge(outcome, 1, Integer::sum);
    }

    static String describe(Answer answer) {
        return answer.status() + " " + (answer.body() == null ? "" : answer.body());
    }

    /** The next message frame of CLIENT, kept in its messages; join and leave notices skipped, an error fails. */
    private static JsonNode nextMessage(ChatClient client) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ChatClient.WAIT_SECONDS);
        while (true) {
            JsonNode frame = client.frames.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (frame == null) {
                fail(client.user + " on " + client.instance + ": no message within " + ChatClient.WAIT_SECONDS + " s");
            }
            String type = frame.path("type").asText();
            if ("error".equals(type)) {
                fail(client.user + " on " + client.instance + " got an error: " + frame);
            }
            if ("message".equals(type)) {
                client.messages.add(frame);
                return frame;
            }
        }
    }

    private static ObjectNode user(String name, String email) {
        return JSON.createObjectNode().put("name", name).put("email", email);
    }

    /** A fresh lower-case email (the service stores emails lower-cased). */
    public static String uniqueEmail(String prefix) {
        return prefix + "-" + UUID.randomUUID() + "@example.org";
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            return JSON.createObjectNode().put("unparsed", json);
        }
    }

}
