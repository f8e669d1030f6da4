package org.acme.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.acme.balance.scenario.LoadGenerator;
import org.acme.balance.topology.LocalTopology;
import org.acme.balance.topology.Topology;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The connection budget under its worst failure, on the shared local topology: with the replica killed, every read
 * pool falls back to the primary's leader (HAProxy :5001's backup) and the reads the instances route to the primary
 * take the read-primary pools, beside the write pools. 300 clients read and write through nginx, 5 s with every node
 * up (the replica's read pools fill), then the replica is killed and the load goes on for 30 s; no node may
 * answer "too many clients" (nor "remaining connection slots are reserved"), in its log or in any answer; nothing but
 * the documented 503 (problem+json with Retry-After) may be a 5xx; the connections sampled on each node stay within
 * the budget {@code ./balance budget} computes. Then the replica is started again and reads must return to it.
 * Every node is up when the class ends.
 */
@ExtendWith(SharedTopology.class)
class ConnectionBudgetIT {

    static final int CLIENTS = 300;
    /** Every fifth client writes: a create with an Idempotency-Key, then a read of it with its token. */
    static final int WRITE_EVERY = 5;
    /** The load runs this long with every node up (the replica's read pools fill), then the replica is killed. */
    static final Duration BEFORE_KILL = Duration.ofSeconds(5);
    /** ... and this long after the kill. */
    static final Duration LOAD = Duration.ofSeconds(30);
    /**
     * Each client's pause between requests: 300 clients can then never ask for more than 6,000 requests/s, below
     * nginx's 10,000 per address (its burst of 2,000 never needed), whatever the machine: a 429 here is a failure, not
     * load shedding. The 300 connections stay below its 512 per address.
     */
    static final Duration PAUSE = Duration.ofMillis(50);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);
    static final Duration SAMPLE_EVERY = Duration.ofMillis(100);
    /** Reads back on the replica after its start: HAProxy's two good checks, the instances' next probes. */
    static final Duration READS_BACK_WITHIN = Duration.ofSeconds(30);
    static final List<String> TOO_MANY = List.of("too many clients", "remaining connection slots are reserved");
    /** PostgreSQL's superuser_reserved_connections, which every node keeps (./balance checks it). */
    static final int SUPERUSER_RESERVED = 3;
    static final String REPLICA = Topology.REPLICA;
    static final List<String> NODES = List.of("service-db-1", "service-db-2", REPLICA);

    static LocalTopology balance;
    static List<Long> known;

    @BeforeAll
    static void seed() throws Exception {
        balance = SharedTopology.balance();
        known = LoadGenerator.seedUsers(balance, "budget-" + System.currentTimeMillis() + "-", 50);
    }

    @AfterAll
    static void everyNodeUp() throws Exception {
        balance.start(REPLICA); // nothing when it runs
        awaitReadsOnReplica(READS_BACK_WITHIN);
    }

    /** One node's line of {@code ./balance budget}: the instances' worst case and the node's limits. */
    record NodeBudget(String node, int instances, int atWorst, int reserved, int maxConnections) {
    }

    @Test
    void withTheReplicaKilled300ClientsNeverMeetTooManyClientsAndStayWithinTheBudget() throws Exception {
        long began = System.nanoTime();
        Map<String, NodeBudget> budget = budget(balance.run("budget"));
        System.out.println("connection budget (./balance budget): " + budget.values());
        awaitReadsOnReplica(READS_BACK_WITHIN);

        Map<String, Path> logs = logs();
        Map<String, Long> logOffsets = new LinkedHashMap<>();
        for (Map.Entry<String, Path> log : logs.entrySet()) {
            logOffsets.put(log.getKey(), Files.exists(log.getValue()) ? Files.size(log.getValue()) : 0L);
        }

        try (Sampler sampler = new Sampler(); Load load = new Load()) {
            sampler.start();
            load.start();
            Thread.sleep(BEFORE_KILL.toMillis());
            long killAsked = System.nanoTime();
            balance.kill(REPLICA);
            long killed = System.nanoTime();
            load.stopAt(killed + LOAD.toNanos());
            load.await();
            long loadEnded = System.nanoTime();

            balance.start(REPLICA);
            long started = System.nanoTime();
            long backMs = awaitReadsOnReplica(READS_BACK_WITHIN);
            sampler.stop();

            List<String> tooMany = tooManyClientsIn(logs, logOffsets);
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began);

            System.out.printf(Locale.ROOT, "%d clients through nginx: %d s with every node up, the replica killed (the"
                    + " command took %d ms), %d s more: %d requests, %.0f/s%n", CLIENTS, BEFORE_KILL.toSeconds(),
                    (killed - killAsked) / 1_000_000, LOAD.toSeconds(), load.total(),
                    load.total() / ((loadEnded - load.startedNanos()) / 1e9));
            System.out.println("  answers: " + load.statuses());
            System.out.println("  reads' routes (X-Read-Route): " + load.routes());
            System.out.printf(Locale.ROOT, "  latency ms: GET p50 %.1f p99 %.1f, POST p50 %.1f p99 %.1f%n",
                    load.percentile("GET", 50), load.percentile("GET", 99), load.percentile("POST", 50),
                    load.percentile("POST", 99));
            System.out.printf(Locale.ROOT, "  reads back on the replica %d ms after its start returned (%d ms to start it)%n",
                    backMs, (started - loadEnded) / 1_000_000);
            for (String node : NODES) {
                NodeBudget limit = budget.get(node);
                System.out.printf(Locale.ROOT, "  %-20s peak %3d connections of the instances (writer %d, reader %d),"
                        + " %3d client connections in all; budget: at worst %d of the instances, max_connections %d,"
                        + " %d reserved; %d samples%n", node, sampler.peakInstances(node), sampler.peakWriter(node),
                        sampler.peakReader(node), sampler.peakAll(node), limit.atWorst(), limit.maxConnections(),
                        limit.reserved(), sampler.samples(node));
            }
            System.out.println("  'too many clients' in the nodes' and instances' logs: " + tooMany.size());
            System.out.println("  test took " + seconds + " s");

            assertEquals(List.of(), tooMany, "no node refused a connection for want of slots");
            assertEquals(List.of(), load.tooManyInAnswers(), "no answer speaks of too many clients");
            assertEquals(List.of(), load.undocumented(), "every answer is a success or a documented 503 (problem+json,"
                    + " Retry-After); no 429, no error, no other 5xx");
            assertTrue(load.count("GET 200") > 1_000, "the readers ran: " + load.statuses());
            assertTrue(load.count("POST 201") > 100, "the writers ran: " + load.statuses());
            assertTrue(load.routes().containsKey("replica; reason=fresh"), "reads were on the replica before the kill: "
                    + load.routes());
            assertTrue(load.routes().keySet().stream().anyMatch(route -> route.startsWith("primary; reason=replica-down")),
                    "reads went to the primary while the replica was down: " + load.routes());
            for (String node : NODES) {
                NodeBudget limit = budget.get(node);
                assertTrue(sampler.samples(node) > 0, "sampled " + node);
                assertTrue(sampler.peakInstances(node) <= limit.atWorst(), node + ": the instances held "
                        + sampler.peakInstances(node) + " connections, over the budget's worst case " + limit.atWorst());
                assertTrue(sampler.peakAll(node) <= limit.maxConnections() - SUPERUSER_RESERVED, node + ": "
                        + sampler.peakAll(node) + " client connections, into superuser_reserved_connections");
            }
            // the test loads what it checks: the leader served reads as the reader role (read-primary, read pools)
            assertTrue(Math.max(sampler.peakReader("service-db-1"), sampler.peakReader("service-db-2")) > 0,
                    "reader connections on the leader");
        }
    }

    // ---- the budget ----------------------------------------------------------------------------------------------

    private static final Pattern BUDGET_LINE = Pattern.compile(
            "^\\s+(service-db-[0-9a-z]+)\\s+([0-9]+)\\s+([0-9]+)\\s+([0-9]+)\\s+([0-9]+)\\s+(-?[0-9]+)\\s+\\S+\\s*$");

    /** The node lines of {@code ./balance budget}: NODE INSTANCES AT_WORST RESERVED MAX_CONNECTIONS ROOM_LEFT NOW. */
    static Map<String, NodeBudget> budget(String report) {
        Map<String, NodeBudget> nodes = new LinkedHashMap<>();
        for (String line : report.split("\n")) {
            Matcher m = BUDGET_LINE.matcher(line);
            if (m.matches()) {
                nodes.put(m.group(1), new NodeBudget(m.group(1), Integer.parseInt(m.group(2)),
                        Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5))));
            }
        }
        assertEquals(NODES, List.copyOf(nodes.keySet()), "./balance budget names every node:\n" + report);
        assertTrue(!report.contains("PROBLEM"), report);
        return nodes;
    }

    // ---- the load ------------------------------------------------------------------------------------------------

    /** 300 closed-loop clients through nginx; counts every answer by kind and status, keeps what is not allowed. */
    static final class Load implements AutoCloseable {
        private final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
        private final Map<String, LongAdder> routes = new ConcurrentHashMap<>();
        private final Map<String, List<Double>> latencies = new ConcurrentHashMap<>();
        private final List<String> undocumented = Collections.synchronizedList(new ArrayList<>());
        private final List<String> tooMany = Collections.synchronizedList(new ArrayList<>());
        private final AtomicLong sequence = new AtomicLong();
        private final String prefix = "budget-load-" + System.currentTimeMillis() + "-";
        private final AtomicLong total = new AtomicLong();

        private final ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        private final AtomicBoolean running = new AtomicBoolean(true);
        /** When the clients stop (System.nanoTime()); until stopAt, at most BEFORE_KILL + LOAD + a minute from the start. */
        private volatile long end;
        private long started;

        void start() {
            started = System.nanoTime();
            end = started + BEFORE_KILL.toNanos() + LOAD.toNanos() + TimeUnit.MINUTES.toNanos(1);
            // a few clients (each one selector thread, its own connections): 50 users each
            List<HttpClient> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS / 50; i++) {
                clients.add(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(2)).build());
            }
            for (int c = 0; c < CLIENTS; c++) {
                HttpClient http = clients.get(c % clients.size());
                boolean writer = c % WRITE_EVERY == 0;
                Random random = new Random(c);
                pool.execute(() -> {
                    while (running.get() && System.nanoTime() - end < 0) {
                        if (writer) {
                            createAndReadBack(http);
                        } else {
                            send(http, "GET", HttpRequest.newBuilder(balance.api("/users/"
                                    + known.get(random.nextInt(known.size())))).GET());
                        }
                        sleep(PAUSE.toMillis());
                    }
                });
            }
            pool.shutdown();
        }

        /** Stops the clients now, whatever happened (a failed kill, say): no load outlives the test. */
        @Override
        public void close() throws InterruptedException {
            running.set(false);
            pool.shutdownNow();
            pool.awaitTermination(REQUEST_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        }

        void stopAt(long nanos) {
            end = nanos;
        }

        long startedNanos() {
            return started;
        }

        /** Every client stops at the end; a request in flight is bounded by its timeout. */
        void await() throws InterruptedException {
            long left = end - System.nanoTime() + REQUEST_TIMEOUT.toNanos() + TimeUnit.SECONDS.toNanos(10);
            if (!pool.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                running.set(false);
                pool.shutdownNow();
                undocumented.add("the load did not stop in time");
            }
        }

        private void createAndReadBack(HttpClient http) {
            String email = prefix + sequence.incrementAndGet() + "@budget.test";
            HttpResponse<String> created = send(http, "POST", HttpRequest.newBuilder(balance.api("/users"))
                    .header("Content-Type", "application/json").header("Idempotency-Key", email)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"Budget\",\"email\":\"" + email + "\"}")));
            if (created != null && created.statusCode() == 201) {
                String location = created.headers().firstValue("Location").orElse("");
                String token = created.headers().firstValue("Consistency-Token").orElse("");
                send(http, "GET-OWN", HttpRequest.newBuilder(balance.api("/users/"
                        + location.substring(location.lastIndexOf('/') + 1))).header("Consistency-Token", token).GET());
            }
        }

        private HttpResponse<String> send(HttpClient http, String kind, HttpRequest.Builder request) {
            long start = System.nanoTime();
            try {
                HttpResponse<String> response = http.send(request.timeout(REQUEST_TIMEOUT).build(),
                        HttpResponse.BodyHandlers.ofString());
                double ms = (System.nanoTime() - start) / 1e6;
                total.incrementAndGet();
                int status = response.statusCode();
                statuses.computeIfAbsent(kind + " " + status, k -> new LongAdder()).increment();
                latencies.computeIfAbsent(kind.startsWith("GET") ? "GET" : "POST",
                        k -> Collections.synchronizedList(new ArrayList<>())).add(ms);
                response.headers().firstValue("X-Read-Route")
                        .ifPresent(route -> routes.computeIfAbsent(route, k -> new LongAdder()).increment());
                String body = response.body() == null ? "" : response.body().toLowerCase(Locale.ROOT);
                for (String phrase : TOO_MANY) {
                    if (body.contains(phrase)) {
                        keep(tooMany, kind + " " + status + ": " + response.body());
                    }
                }
                boolean expected = switch (kind) {
                    case "POST" -> status == 201;
                    default -> status == 200;
                };
                if (!expected && !documented503(response)) {
                    keep(undocumented, kind + " " + status + " " + response.headers().firstValue("Content-Type").orElse("")
                            + " " + response.body());
                }
                return response;
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                total.incrementAndGet();
                statuses.computeIfAbsent(kind + " " + e.getClass().getSimpleName(), k -> new LongAdder()).increment();
                keep(undocumented, kind + " no answer: " + e);
                return null;
            }
        }

        private static boolean documented503(HttpResponse<String> response) {
            return response.statusCode() == 503
                    && response.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json")
                    && response.headers().firstValue("Retry-After").isPresent();
        }

        private static void keep(List<String> list, String what) {
            if (list.size() < 20) {
                list.add(what.length() > 300 ? what.substring(0, 300) + "..." : what);
            }
        }

        long total() {
            return total.get();
        }

        long count(String key) {
            LongAdder adder = statuses.get(key);
            return adder == null ? 0 : adder.sum();
        }

        Map<String, Long> statuses() {
            Map<String, Long> sorted = new TreeMap<>();
            statuses.forEach((k, v) -> sorted.put(k, v.sum()));
            return sorted;
        }

        Map<String, Long> routes() {
            Map<String, Long> sorted = new TreeMap<>();
            routes.forEach((k, v) -> sorted.put(k, v.sum()));
            return sorted;
        }

        double percentile(String kind, int p) {
            List<Double> values = new ArrayList<>(latencies.getOrDefault(kind, List.of()));
            if (values.isEmpty()) {
                return Double.NaN;
            }
            Collections.sort(values);
            return values.get(Math.min(values.size() - 1, (int) Math.ceil(p / 100.0 * values.size()) - 1));
        }

        List<String> undocumented() {
            return List.copyOf(undocumented);
        }

        List<String> tooManyInAnswers() {
            return List.copyOf(tooMany);
        }
    }

    // ---- the nodes' connections -----------------------------------------------------------------------------------

    /**
     * pg_stat_activity on every node, every {@link #SAMPLE_EVERY}, on a superuser connection of its own (not counted):
     * the instances' connections (the writer and reader roles) and every client connection.
     */
    static final class Sampler implements AutoCloseable {
        private final Map<String, Connection> connections = new ConcurrentHashMap<>();
        private final Map<String, int[]> peaks = new ConcurrentHashMap<>(); // instances, writer, reader, all, samples
        private final AtomicBoolean running = new AtomicBoolean();
        private Thread thread;

        void start() {
            for (String node : NODES) {
                peaks.put(node, new int[5]);
            }
            running.set(true);
            thread = new Thread(() -> {
                while (running.get()) {
                    for (String node : NODES) {
                        sample(node);
                    }
                    sleep(SAMPLE_EVERY.toMillis());
                }
            }, "connection-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running.set(false);
            if (thread != null) {
                thread.join(10_000);
            }
        }

        private void sample(String node) {
            try {
                Connection connection = connections.get(node);
                if (connection == null || connection.isClosed()) {
                    connection = open(node);
                    connections.put(node, connection);
                }
                try (Statement statement = connection.createStatement();
                        ResultSet rs = statement.executeQuery("SELECT"
                                + " count(*) FILTER (WHERE usename IN ('users_writer', 'users_reader')),"
                                + " count(*) FILTER (WHERE usename = 'users_writer'),"
                                + " count(*) FILTER (WHERE usename = 'users_reader'), count(*)"
                                + " FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")) {
                    rs.next();
                    int[] peak = peaks.get(node);
                    synchronized (peak) {
                        for (int i = 0; i < 4; i++) {
                            peak[i] = Math.max(peak[i], rs.getInt(i + 1));
                        }
                        peak[4]++;
                    }
                }
            } catch (SQLException | RuntimeException e) {
                // the killed replica: no sample; try again next time
                Connection broken = connections.remove(node);
                if (broken != null) {
                    try {
                        broken.close();
                    } catch (SQLException ignored) {
                        // gone already
                    }
                }
            }
        }

        private static Connection open(String node) throws SQLException {
            int port = switch (node) {
                case "service-db-1" -> 15432;
                case "service-db-2" -> 15434;
                default -> 15433;
            } + SharedTopology.PORT_OFFSET;
            Properties properties = new Properties();
            properties.setProperty("user", "postgres");
            properties.setProperty("password", superuserPassword());
            properties.setProperty("connectTimeout", "1");
            properties.setProperty("socketTimeout", "2");
            properties.setProperty("ApplicationName", "connection-budget-sampler");
            return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", properties);
        }

        int peakInstances(String node) {
            return peaks.get(node)[0];
        }

        int peakWriter(String node) {
            return peaks.get(node)[1];
        }

        int peakReader(String node) {
            return peaks.get(node)[2];
        }

        int peakAll(String node) {
            return peaks.get(node)[3];
        }

        int samples(String node) {
            return peaks.get(node)[4];
        }

        @Override
        public void close() throws InterruptedException {
            stop();
            for (Connection connection : connections.values()) {
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // closing anyway
                }
            }
        }
    }

    static String superuserPassword() {
        try {
            return Files.readAllLines(SharedTopology.HOME.resolve("secrets.env")).stream()
                    .filter(line -> line.startsWith("PG_SUPERUSER_PASSWORD=")).findFirst().orElseThrow().split("=", 2)[1];
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- logs and reads ----------------------------------------------------------------------------------------------

    /** The logs that would say "too many clients": each member's (Patroni's and PostgreSQL's), the replica's, the instances'. */
    static Map<String, Path> logs() {
        Map<String, Path> logs = new LinkedHashMap<>();
        Path dir = SharedTopology.HOME.resolve("logs");
        for (String member : Topology.MEMBERS) {
            logs.put(member, dir.resolve(member + ".log"));
        }
        logs.put(REPLICA, Path.of(balance.psql(REPLICA, "SHOW data_directory")).resolve("server.log"));
        for (int i = 1; i <= 3; i++) {
            logs.put("users-backend-" + i, dir.resolve("users-backend-" + i + ".log"));
        }
        return logs;
    }

    /** The lines written since OFFSETS that speak of too many clients. */
    static List<String> tooManyClientsIn(Map<String, Path> logs, Map<String, Long> offsets) throws IOException {
        List<String> found = new ArrayList<>();
        for (Map.Entry<String, Path> log : logs.entrySet()) {
            if (!Files.exists(log.getValue())) {
                continue;
            }
            try (RandomAccessFile file = new RandomAccessFile(log.getValue().toFile(), "r")) {
                long from = Math.min(offsets.getOrDefault(log.getKey(), 0L), file.length());
                byte[] tail = new byte[(int) (file.length() - from)];
                file.seek(from);
                file.readFully(tail);
                for (String line : new String(tail, StandardCharsets.UTF_8).split("\n")) {
                    String lower = line.toLowerCase(Locale.ROOT);
                    if (TOO_MANY.stream().anyMatch(lower::contains)) {
                        found.add(log.getKey() + ": " + line);
                    }
                }
            }
        }
        return found;
    }

    /**
     * Waits until reads are on the replica again: every instance's own view (GET /db) and reads through nginx
     * (X-Read-Route). Returns the milliseconds it took; fails after WITHIN.
     */
    static long awaitReadsOnReplica(Duration within) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long start = System.nanoTime();
        long deadline = start + within.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (int i = 1; i <= 3 && all; i++) {
                String db = body(http, balance.instance("users-backend-" + i, "/db"));
                all = db.contains("\"route\":{\"target\":\"replica\"");
                last = "users-backend-" + i + " /db: " + db;
            }
            for (int i = 0; i < 6 && all; i++) {
                HttpResponse<String> read = http.send(HttpRequest.newBuilder(balance.api("/users/" + known.get(i)))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                String route = read.headers().firstValue("X-Read-Route").orElse("");
                all = read.statusCode() == 200 && route.startsWith("replica");
                last = "GET through nginx: " + read.statusCode() + " " + route;
            }
            if (all) {
                return (System.nanoTime() - start) / 1_000_000;
            }
            sleep(100);
        }
        throw new AssertionError("reads not back on the replica within " + within.toSeconds() + " s; last: " + last);
    }

    private static String body(HttpClient http, java.net.URI uri) {
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return "no answer: " + e;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
