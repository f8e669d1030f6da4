package org.acme.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.CookieManager;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.acme.balance.scenario.LoadGenerator;
import org.acme.balance.topology.LocalTopology;
import org.acme.balance.topology.Topology;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Read-your-writes and bounded staleness through nginx, on the shared local topology (two instances behind nginx,
 * HAProxy, a primary and its logical replica): clients that create a user and read it at once, with the
 * Consistency-Token as a cookie, as an echoed header, and without it; replication stopped and resumed under load;
 * the primary killed while a client holds a token the replica has not reached.
 */
@ExtendWith(SharedTopology.class)
class ReadYourWritesIT {

    static final String TOKEN = "Consistency-Token";
    static final String ROUTE = "X-Read-Route";
    /** users.read.max-staleness (1 s), one heartbeat interval (0.2 s) and room for a busy 2-core machine. */
    static final long READABLE_WITHIN_MS = 2_000;
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    static LocalTopology balance;
    static List<Long> known;

    @BeforeAll
    static void seed() throws Exception {
        balance = SharedTopology.balance();
        known = LoadGenerator.seedUsers(balance, "ryw-" + System.currentTimeMillis() + "-", 20);
    }

    @AfterEach
    void replicationRunning() {
        for (String step : List.of("thaw", "enable")) {
            try {
                balance.replication(step);
            } catch (RuntimeException e) {
                // not frozen / already enabled: the state we want
            }
        }
        for (String member : Topology.MEMBERS) {
            balance.start(member);
        }
    }

    /** How one kind of client fared: creates, reads of its own creates that said 404, where those reads went. */
    record Loop(String client, int creates, int misses, Map<String, Integer> routes, double seconds) {
        String line() {
            return String.format(Locale.ROOT, "%s: %d creates read back at once, %d read as missing; routes %s; %.1f s",
                    client, creates, misses, routes, seconds);
        }
    }

    enum Client {
        COOKIE, HEADER, NO_TOKEN
    }

    @Test
    void aClientThatPresentsItsTokenNeverMissesItsOwnCreateUnderLoad() throws Exception {
        try (Readers readers = new Readers(4)) {
            ExecutorService clients = Executors.newFixedThreadPool(2);
            Future<Loop> cookie = clients.submit(() -> createThenRead(Client.COOKIE, 2_000, "cookie"));
            Future<Loop> header = clients.submit(() -> createThenRead(Client.HEADER, 2_000, "header"));
            Loop withCookie = cookie.get(10, TimeUnit.MINUTES);
            Loop withHeader = header.get(10, TimeUnit.MINUTES);
            clients.shutdown();
            Loop without = createThenRead(Client.NO_TOKEN, 500, "none");
            System.out.println("read-your-writes through nginx under a read load of " + readers.count() + " GETs:");
            for (Loop loop : List.of(withCookie, withHeader, without)) {
                System.out.println("  " + loop.line());
            }
            assertEquals(2_000, withCookie.creates());
            assertEquals(0, withCookie.misses(), withCookie.line());
            assertEquals(2_000, withHeader.creates());
            assertEquals(0, withHeader.misses(), withHeader.line());
            assertEquals(0, readers.failures(), "reads of known users failed");
        }
    }

    @Test
    void withReplicationLaggingOnlyTheTokenKeepsAClientsOwnCreatesVisible() throws Exception {
        // the apply worker stopped for 300 ms at a time: the replica falls behind by less than the staleness bound,
        // so it keeps serving reads without a token, and those miss users that were just created
        AtomicBoolean lagging = new AtomicBoolean(true);
        Thread lag = new Thread(() -> {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (lagging.get() && System.nanoTime() < end) {
                balance.replication("freeze");
                sleep(300);
                balance.replication("thaw");
                sleep(300);
            }
        });
        lag.start();
        try {
            ExecutorService clients = Executors.newFixedThreadPool(3);
            Future<Loop> none = clients.submit(() -> createThenRead(Client.NO_TOKEN, 300, "lag-none"));
            Future<Loop> cookie = clients.submit(() -> createThenRead(Client.COOKIE, 300, "lag-cookie"));
            Future<Loop> header = clients.submit(() -> createThenRead(Client.HEADER, 300, "lag-header"));
            Loop without = none.get(5, TimeUnit.MINUTES);
            Loop withCookie = cookie.get(5, TimeUnit.MINUTES);
            Loop withHeader = header.get(5, TimeUnit.MINUTES);
            clients.shutdown();
            System.out.println("read-your-writes with the replica's apply worker frozen 300 ms at a time:");
            for (Loop loop : List.of(without, withCookie, withHeader)) {
                System.out.println("  " + loop.line());
            }
            assertTrue(without.misses() > 0, "without the token some creates read as missing (the test can fail): "
                    + without.line());
            assertEquals(0, withCookie.misses(), withCookie.line());
            assertEquals(0, withHeader.misses(), withHeader.line());
        } finally {
            lagging.set(false);
            lag.join(TimeUnit.SECONDS.toMillis(30));
        }
    }

    @Test
    void aDisabledSubscriptionTakesTheReplicaOutOfTheReadPathWithinTheBound() throws Exception {
        stoppedReplication("disable", "enable");
    }

    @Test
    void aFrozenApplyWorkerTakesTheReplicaOutOfTheReadPathWithinTheBound() throws Exception {
        stoppedReplication("freeze", "thaw");
    }

    @Test
    void thePrimaryKilledWhileATokenIsAheadOfTheReplicaGives503NeverA404() throws Exception {
        HttpClient client = cookieClient();
        balance.replication("disable");
        HttpResponse<String> created = create(client, "ahead-" + System.nanoTime() + "@ryw.test", null);
        assertEquals(201, created.statusCode(), created.body());
        long id = idOf(created);
        HttpResponse<String> before = send(client, get(id));
        assertEquals(200, before.statusCode(), "the primary serves it: " + before.body());
        assertEquals("primary; reason=token", before.headers().firstValue(ROUTE).orElse(""));

        String leader = balance.leader();
        balance.kill(leader);
        Map<Integer, Integer> statuses = new TreeMap<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < end) {
            HttpResponse<String> read = send(client, get(id));
            statuses.merge(read.statusCode(), 1, Integer::sum);
            if (read.statusCode() == 503) {
                assertEquals("application/problem+json", read.headers().firstValue("Content-Type").orElse(""));
                assertTrue(read.headers().firstValue("Retry-After").isPresent(), "Retry-After");
            }
            sleep(100);
        }
        System.out.println("reads with a token ahead of the replica, the primary's leader killed: " + statuses);
        assertEquals(Map.of(503, statuses.getOrDefault(503, 0)), statuses, "only 503s, never a 404");
        // a client without the token reads from the replica (the primary is gone): the user is not there yet
        assertEquals(404, send(plainClient(), get(id)).statusCode());

        balance.start(leader);
        // whichever member leads then (the restarted one, or the standby if its lock had expired) holds the user:
        // its create was acknowledged only once the synchronous standby had it
        assertEquals(200, awaitStatus(client, id, 200, 30).statusCode(), "readable once the primary is back");
        balance.replication("enable");
    }

    @Test
    void underANormalMixedLoadTheReplicaServesAtLeast95PercentOfReads() throws Exception {
        LoadGenerator load = new LoadGenerator(balance, known, "mixed-" + System.currentTimeMillis() + "-");
        try (load) {
            load.start();
            Thread.sleep(10_000);
            load.stop();
        }
        List<LoadGenerator.Sample> reads = load.samples().stream().filter(s -> s.isGet() && s.status() == 200).toList();
        long onReplica = reads.stream().filter(LoadGenerator.Sample::readOnReplica).count();
        long ownReads = load.samples().stream().filter(LoadGenerator.Sample::isOwnRead).count();
        long ownMissed = load.samples().stream().filter(s -> s.isOwnRead() && s.status() != 200).count();
        double share = (double) onReplica / reads.size();
        System.out.printf(Locale.ROOT, "mixed load: %d reads without a token, %.1f%% served by the replica; %d creates"
                + " read back with their token, %d not 200%n", reads.size(), 100 * share, ownReads, ownMissed);
        assertTrue(reads.size() > 300, "the load ran");
        assertTrue(share >= 0.95, "the replica serves at least 95% of reads: " + share);
        assertEquals(0, ownMissed, "own creates read back with the token");
    }

    // ---- the stopped-replication scenario ----------------------------------------------------

    private void stoppedReplication(String stop, String resume) throws Exception {
        awaitRoute("replica; reason=fresh", 15);
        HttpClient client = plainClient();
        List<long[]> created = Collections.synchronizedList(new ArrayList<>()); // {id, acknowledged at (ms)}
        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        AtomicLong latestReadableMs = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        long t0 = System.nanoTime();
        ExecutorService load = Executors.newFixedThreadPool(3);
        try (Readers readers = new Readers(2)) {
            // a writer without a token: each user it creates must be readable by anyone within the bound
            load.execute(() -> {
                int n = 0;
                while (running.get()) {
                    HttpResponse<String> response = create(client, stop + "-" + System.nanoTime() + "-" + n++ + "@ryw.test",
                            null);
                    if (response.statusCode() == 201) {
                        long id = idOf(response);
                        long acked = millisSince(t0);
                        created.add(new long[] {id, acked});
                        while (running.get()) {
                            if (send(client, get(id)).statusCode() == 200) {
                                latestReadableMs.accumulateAndGet(millisSince(t0) - acked, Math::max);
                                break;
                            }
                            sleep(20);
                        }
                    }
                    sleep(50);
                }
            });
            // a checker: no read, from any client, is older than the bound
            load.execute(() -> {
                Random random = new Random(1);
                while (running.get()) {
                    long[] user;
                    synchronized (created) {
                        List<long[]> old = created.stream().filter(u -> millisSince(t0) - u[1] > READABLE_WITHIN_MS).toList();
                        user = old.isEmpty() ? null : old.get(random.nextInt(old.size()));
                    }
                    if (user != null) {
                        int status = send(client, get(user[0])).statusCode();
                        if (status != 200) {
                            violations.add("user " + user[0] + " answered " + status + " " + (millisSince(t0) - user[1])
                                    + " ms after its create was acknowledged");
                        }
                    }
                    sleep(20);
                }
            });
            sleep(2_000);
            // timed from the moment the runner's command returned: replication has stopped by then, and the command
            // itself (bash, psql) takes a while on a busy machine
            long asked = System.nanoTime();
            balance.replication(stop);
            long stopped = System.nanoTime();
            long left = (awaitRoute("primary; reason=stale", 10) - stopped) / 1_000_000;
            sleep(4_000);
            balance.replication(resume);
            long resumed = System.nanoTime();
            long back = (awaitRoute("replica; reason=fresh", 15) - resumed) / 1_000_000;
            sleep(2_000);
            running.set(false);
            load.shutdown();
            assertTrue(load.awaitTermination(60, TimeUnit.SECONDS), "the load stopped");
            System.out.printf(Locale.ROOT, "replication %s under load (the command took %d ms): reads left the replica %d ms"
                    + " after it, came back %d ms after %s; %d users created, each readable without a token at most %d ms"
                    + " after its create; %d GETs of known users failed%n", stop, (stopped - asked) / 1_000_000, left, back,
                    resume, created.size(), latestReadableMs.get(), readers.failures());
            assertTrue(left <= READABLE_WITHIN_MS, "reads leave the stopped replica within the bound: " + left + " ms");
            assertTrue(latestReadableMs.get() <= READABLE_WITHIN_MS, "every user readable within the bound: "
                    + latestReadableMs.get() + " ms");
            assertEquals(List.of(), violations, "reads older than the bound");
            assertTrue(created.size() > 20, "the writer ran: " + created.size());
            assertEquals(0, readers.failures(), "reads of known users failed");
        } finally {
            running.set(false);
            load.shutdownNow();
        }
    }

    // ---- clients -------------------------------------------------------------------------------

    /** COUNT creates by one client, each read back at once through nginx. */
    private Loop createThenRead(Client kind, int count, String tag) {
        HttpClient client = kind == Client.COOKIE ? cookieClient() : plainClient();
        Map<String, Integer> routes = new ConcurrentHashMap<>();
        int misses = 0;
        int creates = 0;
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            HttpResponse<String> created = create(client, tag + "-" + System.nanoTime() + "-" + i + "@ryw.test", null);
            assertEquals(201, created.statusCode(), created.body());
            creates++;
            HttpRequest.Builder read = get(idOf(created));
            if (kind == Client.HEADER) {
                read.header(TOKEN, created.headers().firstValue(TOKEN).orElseThrow());
            }
            HttpResponse<String> response = send(client, read);
            if (response.statusCode() == 404) {
                misses++;
            } else {
                assertEquals(200, response.statusCode(), response.body());
            }
            routes.merge(response.headers().firstValue(ROUTE).orElse("-"), 1, Integer::sum);
        }
        return new Loop(kind.name().toLowerCase(Locale.ROOT), creates, misses, new TreeMap<>(routes),
                (System.nanoTime() - start) / 1e9);
    }

    /** Background GETs of known users, without a token; counts those that did not answer 200. */
    private static final class Readers implements AutoCloseable {
        private final ExecutorService pool;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger count = new AtomicInteger();
        private final AtomicInteger failures = new AtomicInteger();

        Readers(int threads) {
            pool = Executors.newFixedThreadPool(threads);
            for (int t = 0; t < threads; t++) {
                Random random = new Random(t);
                HttpClient client = plainClient();
                pool.execute(() -> {
                    long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(10); // bounded whatever happens
                    while (running.get() && System.nanoTime() < end) {
                        int status = send(client, get(known.get(random.nextInt(known.size())))).statusCode();
                        count.incrementAndGet();
                        if (status != 200) {
                            failures.incrementAndGet();
                        }
                        sleep(5);
                    }
                });
            }
        }

        int count() {
            return count.get();
        }

        int failures() {
            return failures.get();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            pool.shutdown();
            pool.awaitTermination(60, TimeUnit.SECONDS);
        }
    }

    private static HttpClient cookieClient() {
        return HttpClient.newBuilder().cookieHandler(new CookieManager()).connectTimeout(Duration.ofSeconds(2)).build();
    }

    private static HttpClient plainClient() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    private static HttpResponse<String> create(HttpClient client, String email, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(balance.api("/users")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"Ryw\",\"email\":\"" + email + "\"}"));
        if (token != null) {
            request.header(TOKEN, token);
        }
        return send(client, request);
    }

    private static HttpRequest.Builder get(long id) {
        return HttpRequest.newBuilder(balance.api("/users/" + id)).GET();
    }

    private static HttpResponse<String> send(HttpClient client, HttpRequest.Builder request) {
        try {
            return client.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException(e);
        }
    }

    private static long idOf(HttpResponse<String> created) {
        String location = created.headers().firstValue("Location").orElseThrow();
        return Long.parseLong(location.substring(location.lastIndexOf('/') + 1));
    }

    /** Waits until a read without a token goes to ROUTE (X-Read-Route); returns when (System.nanoTime()). */
    private static long awaitRoute(String route, int seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String seen = null;
        HttpClient client = plainClient();
        while (System.nanoTime() < deadline) {
            seen = send(client, HttpRequest.newBuilder(balance.api("/users?page=0&size=1")).GET()).headers()
                    .firstValue(ROUTE).orElse(null);
            if (route.equals(seen)) {
                return System.nanoTime();
            }
            sleep(20);
        }
        throw new AssertionError("reads did not go to " + route + " within " + seconds + " s; last: " + seen);
    }

    private static HttpResponse<String> awaitStatus(HttpClient client, long id, int status, int seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        HttpResponse<String> last;
        do {
            last = send(client, get(id));
            if (last.statusCode() == status) {
                return last;
            }
            sleep(200);
        } while (System.nanoTime() < deadline);
        return last;
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
