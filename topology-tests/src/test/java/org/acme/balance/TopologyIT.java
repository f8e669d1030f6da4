package org.acme.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.acme.balance.load.Balance;
import org.acme.balance.load.LoadGenerator.Sample;
import org.acme.balance.load.Scenario;
import org.acme.balance.load.ScenarioRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The whole topology as real processes, started by the local runner exactly as a person would
 * ({@code ./balance up}): nginx, users-backend-1..3 (3 is the backup), HAProxy, the primary and the logical
 * replica. Nodes are killed and frozen with the runner's own commands.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TopologyIT {

    static final Path ROOT = Path.of(System.getProperty("balance.root", "..")).toAbsolutePath().normalize();
    static final Path ARTIFACTS = Path.of(System.getProperty("balance.artifacts", "target/timelines"));
    /**
     * Ports 18080 (nginx), 18081-18083, 15000/15001, 17000, 25432/25433: never a developer's own topology, and
     * below Linux's ephemeral range (32768+), where a busy client's outgoing connection may hold a port first.
     */
    static final int PORT_OFFSET = 10000;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    static Balance balance;

    @BeforeAll
    static void up() {
        balance = new Balance(ROOT, ROOT.resolve("topology-tests/target/balance-it"), PORT_OFFSET, Map.of());
        balance.down(true); // whatever an earlier run left
        balance.up();
    }

    @AfterAll
    static void down() {
        if (balance != null) {
            balance.down(false); // logs stay in target/balance-it/logs for people to read
        }
    }

    @Test
    @Order(1)
    void roundRobinSplitsRequestsEvenlyBetweenTheTwoActiveInstances() throws Exception {
        Map<String, Integer> served = hostCounts(100);
        System.out.println("distribution of 100 GET /host: " + served);
        assertEquals(Set.of("users-backend-1", "users-backend-2"), served.keySet(), "only the active instances serve");
        for (String instance : served.keySet()) {
            int count = served.get(instance);
            assertTrue(count >= 45 && count <= 55, instance + " served " + count + " of 100, expected 50 +/- 5");
        }
    }

    @Test
    @Order(2)
    void backupServesNothingWhileTheActiveInstancesAreUpAndEverythingWhenBothAreKilled() throws Exception {
        assertEquals(0, hostCounts(20).getOrDefault("users-backend-3", 0), "the backup is idle while 1 and 2 are up");

        balance.kill("users-backend-1");
        balance.kill("users-backend-2");
        assertEquals(Map.of("users-backend-3", 30), hostCounts(30), "every request served by the backup");
        HttpResponse<String> created = send(HttpRequest.newBuilder(balance.api("/users"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"name\":\"Via backup\",\"email\":\"backup-" + System.nanoTime() + "@load.test\"}")));
        assertEquals(201, created.statusCode(), created.body());
        assertEquals("users-backend-3", created.headers().firstValue("X-Served-By").orElse(""));

        balance.start("users-backend-1");
        balance.start("users-backend-2");
        // nginx tries a failed server again once its fail_timeout (5 s) has passed
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Map<String, Integer> served = hostCounts(20);
        while (served.containsKey("users-backend-3") && System.nanoTime() < deadline) {
            Thread.sleep(500);
            served = hostCounts(20);
        }
        assertEquals(Set.of("users-backend-1", "users-backend-2"), served.keySet(),
                "the restarted instances take the traffic back from the backup");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Scenario.class)
    @Order(3)
    void failureContractHoldsUnderLoad(Scenario scenario) throws Exception {
        ScenarioRun run = ScenarioRun.execute(balance, scenario);
        Path chart = run.writeTimeline(ARTIFACTS, ROOT.resolve("infra/balance/timeline.gnuplot"));
        System.out.println(run.summary());
        System.out.println("timeline: " + chart);

        // the load ran, and every request got an HTTP answer: no hang, no reset
        assertTrue(run.gets().size() > 300 && run.posts().size() > 100, "load ran: " + run.samples.size());
        assertEquals(List.of(), run.samples.stream().filter(s -> s.status() == 0).toList(), "requests without an answer");
        // reads never fail, whichever node fails: replica (primary takes over), primary (replica serves),
        // a service instance (nginx moves on)
        assertEquals(List.of(), run.failedGets(), "failed GETs");
        assertTrue(run.readStallMs() < 7_000, "reads stalled " + run.readStallMs() + " ms");
        // nothing acknowledged is lost, nothing is stored twice (ScenarioRun fails on a duplicate email),
        // and the replica catches up with everything once the failure is over
        assertEquals(List.of(), run.lostAcknowledgedWrites(), "acknowledged writes missing from the primary");
        assertEquals(run.storedOnPrimary.size(), run.storedOnReplica, "the replica holds every stored user");

        Map<Integer, Long> keyed = run.postStatuses(true);
        Map<Integer, Long> plain = run.postStatuses(false);
        if (scenario.hitsReplica()) {
            assertEquals(Set.of(201), keyed.keySet(), "writes do not notice the replica: " + keyed);
            assertEquals(Set.of(201), plain.keySet(), "writes do not notice the replica: " + plain);
            double fallback = run.firstReadsOnAfterFailureMs(Balance.PRIMARY);
            assertTrue(fallback >= 0 && fallback < 5_000, "reads served by the primary within 5 s: " + fallback);
            assertTrue(run.readsBackOnReplicaMs() < 10_000, "reads back on the replica: " + run.readsBackOnReplicaMs());
        }
        if (scenario.hitsPrimary()) {
            for (Map<Integer, Long> posts : List.of(keyed, plain)) {
                assertTrue(Set.of(201, 503).containsAll(posts.keySet()), "writes answer 201 or 503, nothing else: " + posts);
                assertTrue(posts.getOrDefault(503, 0L) > 0, "the outage was seen by writes: " + posts);
            }
            List<Sample> unavailable = run.posts().stream().filter(s -> s.status() == 503).toList();
            assertTrue(unavailable.stream().allMatch(s -> s.problemJson() && s.retryAfter()),
                    "every 503 is problem+json with Retry-After");
            assertTrue(run.maxLatencyMs(s -> !s.isGet()) < 5_000, "writes fail fast: " + run.maxLatencyMs(s -> !s.isGet()));
            double resumed = run.writesResumedMs();
            assertTrue(resumed >= 0 && resumed < 10_000, "writes resume without restarting anything: " + resumed);
        }
        if (scenario.hitsServiceInstance()) {
            // creates with an Idempotency-Key are resent by nginx to another instance: none fails
            assertEquals(Set.of(201), keyed.keySet(), "creates with an Idempotency-Key: " + keyed);
            // without one, a create in flight on the failed instance may fail at the gateway (nginx never resends
            // it); nothing else may
            assertTrue(Set.of(201, 502, 504).containsAll(plain.keySet()), "creates without a key: " + plain);
            long failed = plain.values().stream().mapToLong(Long::longValue).sum() - plain.getOrDefault(201, 0L);
            assertTrue(failed <= 4, failed + " creates failed: at most those in flight on the failed instance");
            double recovered = run.events.get(1).doneMs();
            Map<String, Long> after = run.servedBy(recovered + 6_000, scenario.endS * 1000.0);
            assertTrue(after.getOrDefault(scenario.node, 0L) > 0, scenario.node + " serves again once back: " + after);
        }
    }

    private static Map<String, Integer> hostCounts(int requests) throws Exception {
        Map<String, Integer> served = new TreeMap<>();
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> response = send(HttpRequest.newBuilder(balance.api("/host")).GET());
            assertEquals(200, response.statusCode(), response.body());
            String instance = response.headers().firstValue("X-Served-By").orElseThrow();
            assertTrue(response.body().contains("\"instance\":\"" + instance + "\""), response.body());
            served.merge(instance, 1, Integer::sum);
        }
        return served;
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
