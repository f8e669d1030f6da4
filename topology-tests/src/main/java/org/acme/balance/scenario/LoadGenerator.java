package org.acme.balance.scenario;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.acme.balance.topology.Topology;

/**
 * A bounded, closed-loop load through nginx: READERS + WRITERS clients, each sending one request at a time with
 * a short pause, until stopped. Readers GET users known to be on the replica, without a token; writers create users
 * with unique emails, one of them with an Idempotency-Key on every create (so nginx may resend it), the other
 * without, and read each user they created back at once with the Consistency-Token of the create ({@code GET-OWN}):
 * a client's own write must never read as missing.
 * Separate clients, so a slow write (primary down) never holds back the reads being measured. Every response is recorded with its time, status and the instance that served it;
 * a separate probe asks /db which database node serves reads, ten times a second.
 */
public final class LoadGenerator implements AutoCloseable {

    /**
     * One request. Times are milliseconds since the run started; status 0 = no HTTP answer (error: the client's
     * exception); for a problem+json answer, error is the problem's type (what the service said went wrong).
     */
    public record Sample(double startMs, double endMs, String method, int status, String servedBy, String error,
            boolean problemJson, boolean retryAfter, String email, long id, boolean keyed, String readRoute) {

        /** A read of a known (replicated) user, without a token. */
        public boolean isGet() {
            return "GET".equals(method);
        }

        public boolean isPost() {
            return "POST".equals(method);
        }

        /** A writer reading back the user it has just created, with the create's Consistency-Token. */
        public boolean isOwnRead() {
            return OWN_READ.equals(method);
        }

        /** X-Read-Route said the replica served it. */
        public boolean readOnReplica() {
            return readRoute != null && readRoute.startsWith("replica");
        }

        public double latencyMs() {
            return endMs - startMs;
        }
    }

    /** What /db said at one moment: which node the instance's read datasource reached. */
    public record Probe(double atMs, String servedBy, String readNode) {
    }

    static final String OWN_READ = "GET-OWN";
    static final String TOKEN = "Consistency-Token";
    static final int READERS = 4;
    static final int WRITERS = 2;
    static final Duration PAUSE = Duration.ofMillis(15);
    /** A request is a hang, not a slow answer, past this: far beyond nginx's own bounds. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);
    private static final Pattern READ_NODE = Pattern.compile("\"read\":\\{[^}]*\"node\":\"([^\"]+)\"");
    private static final Pattern PROBLEM_TYPE = Pattern.compile("\"type\"\\s*:\\s*\"(?:[^\"]*/)?([^\"/]*)\"");

    private final Topology topology;
    private final List<Long> knownIds;
    private final String emailPrefix;
    private final Duration pause;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
    private final List<Probe> probes = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger sequence = new AtomicInteger();
    private final ExecutorService pool = Executors.newFixedThreadPool(READERS + WRITERS + 1);
    private volatile boolean running;
    private long startNanos;

    /**
     * @param knownIds    users already replicated: a GET of one of them must answer 200
     * @param emailPrefix every user this run creates has an email starting with it
     */
    public LoadGenerator(Topology topology, List<Long> knownIds, String emailPrefix) {
        this(topology, knownIds, emailPrefix, PAUSE);
    }

    /** @param pause each client's pause between two requests (the soak's gentler load; the scenarios': 15 ms) */
    public LoadGenerator(Topology topology, List<Long> knownIds, String emailPrefix, Duration pause) {
        this.topology = topology;
        this.knownIds = List.copyOf(knownIds);
        this.emailPrefix = emailPrefix;
        this.pause = pause;
    }

    public void start() {
        running = true;
        startNanos = System.nanoTime();
        for (int reader = 0; reader < READERS; reader++) {
            Random random = new Random(reader);
            pool.execute(() -> {
                while (running) {
                    get(knownIds.get(random.nextInt(knownIds.size())));
                    pause(pause.toMillis());
                }
            });
        }
        for (int writer = 0; writer < WRITERS; writer++) {
            boolean keyed = writer % 2 == 0;
            pool.execute(() -> {
                while (running) {
                    create(keyed);
                    pause(pause.toMillis());
                }
            });
        }
        pool.execute(() -> {
            while (running) {
                probe();
                pause(100);
            }
        });
    }

    /** Stops the clients and waits for the requests in flight (bounded by the request timeout). */
    public void stop() {
        running = false;
        pool.shutdown();
        try {
            pool.awaitTermination(REQUEST_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public double nowMs() {
        return (System.nanoTime() - startNanos) / 1e6;
    }

    public List<Sample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    public List<Probe> probes() {
        synchronized (probes) {
            return List.copyOf(probes);
        }
    }

    private void get(long id) {
        send("GET", HttpRequest.newBuilder(topology.api("/users/" + id)).GET(), null, false);
    }

    private void readBack(Sample created, String token) {
        send(OWN_READ, HttpRequest.newBuilder(topology.api("/users/" + created.id())).header(TOKEN, token).GET(),
                created.email(), created.keyed());
    }

    private void create(boolean keyed) {
        int n = sequence.incrementAndGet();
        String email = emailPrefix + n + "@load.test";
        String body = "{\"name\":\"Load " + n + "\",\"email\":\"" + email + "\"}";
        HttpRequest.Builder request = HttpRequest.newBuilder(topology.api("/users")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (keyed) {
            request.header("Idempotency-Key", email);
        }
        Sent created = send("POST", request, email, keyed);
        if (created.sample().status() == 201 && created.token() != null) {
            readBack(created.sample(), created.token());
        }
    }

    /** A recorded request, and the Consistency-Token its answer carried (null for none). */
    private record Sent(Sample sample, String token) {
    }

    private Sent send(String method, HttpRequest.Builder request, String email, boolean keyed) {
        double start = nowMs();
        try {
            HttpResponse<String> response = http.send(request.timeout(REQUEST_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());
            long id = OWN_READ.equals(method) ? idOf(response.request().uri().getPath())
                    : response.headers().firstValue("Location").map(LoadGenerator::idOf).orElse(0L);
            boolean problem = response.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json");
            Sample sample = new Sample(start, nowMs(), method, response.statusCode(),
                    response.headers().firstValue("X-Served-By").orElse("-"), problem ? problemType(response.body()) : null,
                    problem,
                    response.headers().firstValue("Retry-After").isPresent(), email, id, keyed,
                    response.headers().firstValue("X-Read-Route").orElse(null));
            samples.add(sample);
            return new Sent(sample, response.headers().firstValue(TOKEN).orElse(null));
        } catch (Exception e) {
            Sample sample = new Sample(start, nowMs(), method, 0, "-", e.getClass().getSimpleName(), false, false, email,
                    0, keyed, null);
            samples.add(sample);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return new Sent(sample, null);
        }
    }

    /** The problem's type, the last segment of its URI: what a failed request's record says went wrong. */
    static String problemType(String body) {
        Matcher type = PROBLEM_TYPE.matcher(body);
        return type.find() ? type.group(1) : "problem";
    }

    private static long idOf(String location) {
        return Long.parseLong(location.substring(location.lastIndexOf('/') + 1));
    }

    private void probe() {
        double at = nowMs();
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(topology.api("/db"))
                    .timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
            Matcher node = READ_NODE.matcher(response.body());
            probes.add(new Probe(at, response.headers().firstValue("X-Served-By").orElse("-"),
                    node.find() ? node.group(1) : "down"));
        } catch (Exception e) {
            probes.add(new Probe(at, "-", "error"));
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Creates COUNT users through nginx before a run and returns their ids: the reads of the run. */
    public static List<Long> seedUsers(Topology topology, String emailPrefix, int count) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(topology.api("/users"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"name\":\"Known " + i + "\",\"email\":\"" + emailPrefix + "known" + i + "@load.test\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 201) {
                throw new IllegalStateException("seeding a user: " + response.statusCode() + " " + response.body());
            }
            String location = response.headers().firstValue("Location").orElseThrow();
            ids.add(Long.parseLong(location.substring(location.lastIndexOf('/') + 1)));
        }
        return ids;
    }

    @Override
    public void close() {
        if (running) {
            stop();
        }
    }
}
