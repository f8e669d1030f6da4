package org.acme.balance.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.acme.balance.soak.LeakCheck.Comparison;
import org.acme.balance.soak.LeakCheck.Verdict;
import org.junit.jupiter.api.Test;

/** The soak's leak check on made-up samples: no topology, no database (surefire, seconds). */
class LeakCheckTest {

    static final List<String> INSTANCES = List.of("users-backend-1", "users-backend-2");

    /** A sample at T seconds: both instances (RSS MB and PID as given), the nodes with CONNECTIONS each. */
    static ResourceSample sample(double t, long pid1, double rss1, double rss2, int leaderPool, int replicaPool,
            int chatListeners) {
        Map<String, ResourceSample.Instance> instances = new LinkedHashMap<>();
        instances.put("users-backend-1", new ResourceSample.Instance(pid1, (long) (rss1 * 1024), 20L << 20, 40, 60));
        instances.put("users-backend-2", new ResourceSample.Instance(2, (long) (rss2 * 1024), 20L << 20, 40, 60));
        Map<String, Integer> leader = new LinkedHashMap<>(Map.of("users-backend-1", leaderPool, "users-backend-1-chat",
                chatListeners, "Patroni", 1, "service-db-2", 1, "users_sub", 1));
        Map<String, ResourceSample.Node> nodes = new LinkedHashMap<>();
        nodes.put("service-db-1", node("leader", leader));
        nodes.put("service-db-2", node("standby", Map.of("Patroni", 1)));
        nodes.put("service-db-replica", node("replica", Map.of("users-backend-1", replicaPool)));
        return new ResourceSample(t * 1000, instances, nodes);
    }

    static ResourceSample.Node node(String role, Map<String, Integer> byApplication) {
        return new ResourceSample.Node(role, byApplication.values().stream().mapToInt(Integer::intValue).sum(), byApplication);
    }

    static List<Comparison> check(List<ResourceSample> samples, List<double[]> stretches, boolean longRun) {
        return new LeakCheck(samples, 0, 80_000, stretches).compare(INSTANCES, longRun);
    }

    static Comparison find(List<Comparison> comparisons, String subject, String resourceStart) {
        return comparisons.stream().filter(c -> c.subject().equals(subject) && c.resource().startsWith(resourceStart))
                .findFirst().orElseThrow(() -> new AssertionError(subject + " " + resourceStart + " in " + comparisons));
    }

    @Test
    void steadyResourcesHoldAndAGrowingOneFails() {
        List<ResourceSample> samples = new ArrayList<>();
        for (int t = 0; t <= 80; t += 10) {
            samples.add(sample(t, 1, 250, 250 + t, 5, 5, 1)); // users-backend-2 grows 80 MB
        }
        List<Comparison> result = check(samples, List.of(), true);
        assertEquals(Verdict.PASS, find(result, "users-backend-1", "RSS").verdict());
        Comparison grew = find(result, "users-backend-2", "RSS");
        assertEquals(Verdict.FAIL, grew.verdict());
        assertEquals(260, grew.first(), 0.01); // median of 0, 10, 20 s
        assertEquals(320, grew.last(), 0.01); // median of 60, 70, 80 s
        // a short run reports RSS (a high-water mark) without judging it
        assertEquals(Verdict.REPORTED, find(check(samples, List.of(), false), "users-backend-2", "RSS").verdict());
    }

    @Test
    void aGrowingHeapFailsInAShortRunToo() {
        List<ResourceSample> samples = new ArrayList<>();
        for (int t = 0; t <= 80; t += 10) {
            ResourceSample s = sample(t, 1, 250, 250, 5, 5, 1);
            Map<String, ResourceSample.Instance> instances = new LinkedHashMap<>(s.instances());
            instances.put("users-backend-2", new ResourceSample.Instance(2, 250 << 10, (20L + t) << 20, 40, 60));
            samples.add(new ResourceSample(s.atMs(), instances, s.nodes()));
        }
        assertEquals(Verdict.FAIL, find(check(samples, List.of(), false), "users-backend-2", "heap").verdict());
    }

    @Test
    void aRestartedInstanceIsNotCompared() {
        List<ResourceSample> samples = new ArrayList<>();
        for (int t = 0; t <= 80; t += 10) {
            samples.add(sample(t, t < 40 ? 1 : 7, t < 40 ? 250 : 150 + t, 250, 5, 5, 1));
        }
        assertEquals(Verdict.NOT_COMPARED, find(check(samples, List.of(), true), "users-backend-1", "RSS").verdict());
    }

    @Test
    void samplesInAFailuresStretchAreLeftOutOfAQuarter() {
        List<ResourceSample> samples = new ArrayList<>();
        for (int t = 0; t <= 80; t += 10) {
            // the replica's pool low and the leader's high while the replica was down (60 to 70 s)
            boolean down = t == 60 || t == 70;
            samples.add(sample(t, 1, 250, 250, down ? 12 : 5, down ? 1 : 5, 1));
        }
        Comparison replica = find(check(samples, List.of(new double[] {55_000, 72_000}), true), "service-db-replica",
                "connections");
        assertEquals(Verdict.PASS, replica.verdict());
        assertEquals(5, replica.last(), 0.01); // only the 80 s sample
    }

    @Test
    void poolsAreReportedNotJudgedInShortRunsButANotPooledConnectionThatGrowsFailsInAny() {
        List<ResourceSample> samples = new ArrayList<>();
        for (int t = 0; t <= 80; t += 10) {
            samples.add(sample(t, 1, 250, 250, t < 40 ? 5 : 9, 5, t < 40 ? 1 : 2)); // a second chat listener
        }
        for (boolean judge : List.of(true, false)) {
            List<Comparison> result = check(samples, List.of(), judge);
            assertEquals(judge ? Verdict.FAIL : Verdict.REPORTED, find(result, "service-db-1", "connections").verdict());
            assertEquals(Verdict.FAIL, find(result, "users-backend-1-chat", "connections, not pooled").verdict());
            assertEquals(Verdict.PASS, find(result, "Patroni", "connections, not pooled").verdict());
            assertTrue(result.stream().noneMatch(c -> c.subject().equals("users-backend-1")
                    && c.resource().startsWith("connections, not pooled")), "an instance's pool is pooled");
        }
    }

    @Test
    void smallCountsMustGrowByMoreThanTwo() {
        List<ResourceSample> samples = new ArrayList<>();
        for (int t = 0; t <= 80; t += 10) {
            samples.add(sample(t, 1, 250, 250, 5, t < 40 ? 9 : 11, 1)); // +2 connections: 22 %, no trend
        }
        assertEquals(Verdict.PASS, find(check(samples, List.of(), true), "service-db-replica", "connections").verdict());
    }
}
