package org.acme.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.acme.balance.scenario.Scenario;
import org.acme.balance.scenario.ScenarioRun;
import org.acme.balance.topology.LocalTopology;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The whole topology as real processes, started by the local runner exactly as a person would
 * ({@code ./balance up}): nginx, users-backend-1..3 (3 is the backup), HAProxy, the primary and the logical
 * replica (the topology shared with the other suites). Nodes are killed and frozen with the runner's own commands.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(SharedTopology.class)
class TopologyIT {

    static final Path ROOT = SharedTopology.ROOT;
    static final Path ARTIFACTS = Path.of(System.getProperty("balance.artifacts", "target/timelines"));
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    static LocalTopology balance;

    @BeforeAll
    static void topology() {
        balance = SharedTopology.balance();
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
    void postmanCollectionPassesThroughNginx() throws Exception {
        // every endpoint and every documented error, as a Postman user would check them (newman, from npm)
        Process newman = new ProcessBuilder("bash", ROOT.resolve("postman/run.sh").toString(), balance.api("").toString())
                .redirectErrorStream(true).redirectOutput(ROOT.resolve("topology-tests/target/newman.log").toFile()).start();
        assertTrue(newman.waitFor(300, TimeUnit.SECONDS), "newman finished");
        String output = Files.readString(ROOT.resolve("topology-tests/target/newman.log"));
        System.out.println(output.substring(Math.max(0, output.indexOf("┌"))));
        assertEquals(0, newman.exitValue(), "newman: every assertion of the collection passes");
    }

    @Test
    @Order(3)
    void backupServesNothingWhileTheActiveInstancesAreUpAndEverythingWhenBothAreKilledThenNginxAnswers502() throws Exception {
        assertEquals(0, hostCounts(20).getOrDefault("users-backend-3", 0), "the backup is idle while 1 and 2 are up");

        try {
            balance.kill("users-backend-1");
            balance.kill("users-backend-2");
            assertEquals(Map.of("users-backend-3", 30), hostCounts(30), "every request served by the backup");
            HttpResponse<String> created = send(HttpRequest.newBuilder(balance.api("/users"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"name\":\"Via backup\",\"email\":\"backup-" + System.nanoTime() + "@load.test\"}")));
            assertEquals(201, created.statusCode(), created.body());
            assertEquals("users-backend-3", created.headers().firstValue("X-Served-By").orElse(""));
            assertTrue(balance.run("status").matches("(?s).*users-backend-1 +- +down .*users-backend-3 +\\d+ +up .*"),
                    "./balance status shows which instances are down");

            // no instance left: nginx's own answer is problem+json, not an HTML page, and says when to retry
            balance.kill("users-backend-3");
            HttpResponse<String> none = send(HttpRequest.newBuilder(balance.api("/users/1")).GET());
            assertEquals(502, none.statusCode(), none.body());
            assertEquals("application/problem+json", none.headers().firstValue("Content-Type").orElse(""));
            assertEquals("2", none.headers().firstValue("Retry-After").orElse(""));
            assertTrue(none.body().contains("\"status\":502") && none.body().contains("\"instance\":\"/users/1\""),
                    none.body());
        } finally {
            // the scenarios after this one need every instance, whatever failed here
            for (String node : List.of("users-backend-3", "users-backend-1", "users-backend-2")) {
                balance.start(node);
            }
        }
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
    @Order(4)
    void failureContractHoldsUnderLoad(Scenario scenario) throws Exception {
        ScenarioRun run = ScenarioRun.execute(balance, scenario);
        Path chart = run.writeTimeline(ARTIFACTS, ROOT.resolve("infra/balance/timeline.gnuplot"));
        System.out.println(run.summary());
        System.out.println("timeline: " + chart);

        assertEquals(List.of(), run.contractViolations(), "the failure contract, " + scenario.id);
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
