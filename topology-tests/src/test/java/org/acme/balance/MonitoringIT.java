package org.acme.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.acme.balance.topology.LocalTopology;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue #22 against the real components, on the shared topology: the Prometheus that {@code ./balance up} starts
 * scrapes every hop and each target answers ({@code up == 1}), the exporters' queries give the figures the rules use,
 * and a rule fires when a node fails: the backup instance frozen (a hung node: its scrape times out), InstanceDown
 * firing within its 10 s and a few scrapes, then thawed; and {@code ./balance top --once} draws the whole topology from
 * that Prometheus: the leader, every instance serving with its p50 and p99, the replica's data age, no alert firing; and the ops page that
 * Prometheus serves (/user/) drawn in Chromium with data in its charts (topology-tests/browser/ops-page.mjs, screenshot
 * target/browser/ops.png), Prometheus' API readable cross-origin only from that page's origin. About 70 s.
 */
@ExtendWith(SharedTopology.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MonitoringIT {

    static final int PROMETHEUS = 9190 + SharedTopology.PORT_OFFSET;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** job -> how many targets: 3 instances, 3 PostgreSQL nodes, 2 Patroni members, one of every other */
    static final Map<String, Integer> TARGETS = Map.of("prometheus", 1, "users", 3, "haproxy", 1, "nginx", 1, "nginx_access", 1,
            "postgres", 3, "patroni", 2, "etcd", 1);

    static LocalTopology balance;
    /** InstanceDown fired in this run (so the ops page's alerts chart has it in its 15 minutes) */
    static boolean instanceDownFired;

    @BeforeAll
    static void topology() {
        balance = SharedTopology.balance();
    }

    @Test
    @Order(1)
    void everyTargetAnswers() throws Exception {
        Map<String, String> down = new TreeMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        do {
            down.clear();
            Map<String, Integer> seen = new TreeMap<>();
            for (String[] series : query("up")) {
                seen.merge(series[0].replaceAll(".*job=([^,}]*).*", "$1"), 1, Integer::sum);
                if (!"1".equals(series[1])) {
                    down.put(series[0], series[1]);
                }
            }
            if (!new TreeMap<>(TARGETS).equals(seen)) {
                down.put("targets by job", seen + ", expected " + new TreeMap<>(TARGETS));
            }
            if (down.isEmpty()) {
                break;
            }
            Thread.sleep(1000);
        } while (System.nanoTime() < deadline);
        assertEquals(Map.of(), down, "targets not answering (Prometheus' up)");
        System.out.println("every target answers: " + query("up").size() + " targets");
    }

    @Test
    @Order(2)
    void theExportersGiveWhatTheRulesUse() throws Exception {
        // one leader, a streaming synchronous standby, the replica's subscription with its worker, fresh data
        assertEquals("1", single("sum(patroni_primary)"), "Patroni members leading");
        assertEquals("1", single("max(pg_standbys_streaming)"), "standbys streaming from the leader");
        assertEquals("1", single("max(pg_standbys_synchronous)"), "synchronous standbys");
        assertEquals("1", single("pg_replica_subscription_enabled"), "subscription enabled");
        assertEquals("1", single("pg_replica_subscription_apply_worker_alive"), "apply worker alive");
        double age = Double.parseDouble(single("pg_replica_heartbeat_age_seconds"));
        assertTrue(age >= 0 && age < 5, "the replica's data age from the heartbeat: " + age);
        assertEquals("1", single("count(pg_slots_active{slot_name=\"users_sub\", slot_type=\"logical\"} == 1)"),
                "the leader's users_sub slot active");
        assertEquals("3", single("count(pg_connections_clients / on(node) group_left() balance:connection_budget < 0.8)"),
                "every node's connections against its budget");
        assertEquals("1", single("etcd_server_has_leader"), "etcd");
        assertEquals("0", single("max(patroni_failsafe_mode_is_active)"), "failsafe mode");
        assertEquals("1", single("count(haproxy_server_status{proxy=\"write\", state=\"UP\"} == 1)"), "HAProxy's write server up");
        assertEquals("1", single("nginx_up"), "the nginx exporter reads stub_status");
        assertEquals("0", single("count(ALERTS{alertstate=\"firing\"}) or vector(0)"), "alerts firing on a whole topology: "
                + query("ALERTS{alertstate=\"firing\"}"));
    }

    @Test
    @Order(3)
    void balanceTopDrawsEveryHop() throws Exception {
        String leader = balance.leader();
        String frame = "";
        Map<String, String> missing = new TreeMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        do {
            // a few reads on every instance, each asked directly (nginx sends its backup nothing) and through nginx
            for (int n = 1; n <= 3; n++) {
                for (int i = 0; i < 5; i++) {
                    send(balance.instance("users-backend-" + n, "/users?page=0&size=1"));
                    send(balance.api("/users?page=0&size=1"));
                }
            }
            frame = balance.run("top", "--once");
            missing.clear();
            for (int n = 1; n <= 3; n++) {
                String row = "(?m)^users-backend-" + n + "(?: \\(backup\\))?\\s+up\\s+";
                double rate = figure(frame, row + "(\\S+)");
                // P50 and P99, from the instance's own histogram (org.acme.users.edge.LatencyHistogram)
                double p50 = seconds(frame, row + "\\S+\\s+(\\S+)");
                double p99 = seconds(frame, row + "\\S+\\s+\\S+\\s+(\\S+)");
                if (!(rate > 0)) {
                    missing.put("users-backend-" + n, "no req/s figure above 0");
                } else if (!(p50 > 0 && p99 >= p50)) {
                    missing.put("users-backend-" + n, "no p50 and p99 figures (or p99 under p50)");
                }
            }
            if (!(figure(frame, "(?m)^nginx\\s+up\\s+(\\S+)") > 0)) {
                missing.put("nginx", "no req/s figure above 0");
            }
            if (!Pattern.compile("(?m)^service-db-replica\\s+up\\s+logical replica\\s+data age \\d+\\.\\d+ s").matcher(frame).find()) {
                missing.put("service-db-replica", "no data age");
            }
            if (!(figure(frame, "(?m)^reads/s to the replica\\s+fresh (\\S+)") > 0)) {
                missing.put("reads", "no fresh reads on the replica");
            }
            if (missing.isEmpty()) {
                break;
            }
            Thread.sleep(1000);
        } while (System.nanoTime() < deadline);
        System.out.println("./balance top --once:\n" + frame);
        assertEquals(Map.of(), missing, "./balance top's frame:\n" + frame);
        assertTrue(frame.contains("leader: " + leader + " "), "the header names the leader, " + leader + ":\n" + frame);
        assertTrue(Pattern.compile("(?m)^" + leader + "\\s+up\\s+leader\\s").matcher(frame).find(),
                "the leader's row, " + leader + ":\n" + frame);
        String standby = leader.equals("service-db-1") ? "service-db-2" : "service-db-1";
        assertTrue(Pattern.compile("(?m)^" + standby + "\\s+up\\s+standby \\(sync\\)\\s+replay lag \\d").matcher(frame).find(),
                "the standby's row, " + standby + ":\n" + frame);
        assertTrue(frame.contains("alerts: 0 firing") && !Pattern.compile("(?m)^  firing ").matcher(frame).find(),
                "no alert firing on a whole topology:\n" + frame);
    }

    /** The number a pattern's group finds in the frame; NaN when it is missing or "-". */
    static double figure(String frame, String pattern) {
        Matcher m = Pattern.compile(pattern).matcher(frame);
        try {
            return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** A duration of the frame (top.py's 1.5ms, 12ms, 1.25s) in seconds; NaN when it is missing or "-". */
    static double seconds(String frame, String pattern) {
        Matcher m = Pattern.compile(pattern).matcher(frame);
        if (!m.find()) {
            return Double.NaN;
        }
        Matcher d = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s)").matcher(m.group(1));
        return d.matches() ? Double.parseDouble(d.group(1)) / (d.group(2).equals("ms") ? 1000 : 1) : Double.NaN;
    }

    static void send(URI uri) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), uri + ": " + response.body());
    }

    @Test
    @Order(4)
    void anInstanceFrozenFiresInstanceDown() throws Exception {
        long started = System.nanoTime();
        balance.freeze("users-backend-3"); // nginx's backup: the API goes on as before
        try {
            String alert = "";
            long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            while (System.nanoTime() < deadline) {
                alert = alerts().stream().filter(a -> a.contains("\"alertname\":\"InstanceDown\"")
                        && a.contains("\"node\":\"users-backend-3\"") && a.contains("\"state\":\"firing\"")).findFirst().orElse("");
                if (!alert.isEmpty()) {
                    break;
                }
                Thread.sleep(1000);
            }
            assertTrue(!alert.isEmpty(), "InstanceDown firing for users-backend-3; alerts: " + alerts());
            System.out.printf("InstanceDown fired %.1f s after the freeze%n", (System.nanoTime() - started) / 1e9);
            instanceDownFired = true;
        } finally {
            balance.thaw("users-backend-3");
        }
        // and it answers again: the next scrapes succeed
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!"1".equals(single("up{node=\"users-backend-3\"}")) && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        assertEquals("1", single("up{node=\"users-backend-3\"}"), "users-backend-3 scraped again after the thaw");
    }

    @Test
    @Order(5)
    void theOpsPageDrawsEveryHopInChromium() throws Exception {
        // Prometheus serves the page beside its API (--web.user-assets), and lets only that origin read the API
        // cross-origin (not the default, any site)
        String page = get("/user/");
        assertTrue(page.contains("ops.js") && page.contains("uPlot.iife.min.js"), "the ops page at /user/: " + page);
        String own = "http://127.0.0.1:" + PROMETHEUS;
        assertEquals(java.util.Optional.of(own), origin(own).firstValue("Access-Control-Allow-Origin"), "CORS for its own origin");
        assertEquals(java.util.Optional.empty(), origin("http://example.com").firstValue("Access-Control-Allow-Origin"),
                "no CORS for another site");
        // some traffic for the charts: reads on every instance (directly: nginx sends its backup nothing) and through nginx
        for (int n = 1; n <= 3; n++) {
            for (int i = 0; i < 5; i++) {
                send(balance.instance("users-backend-" + n, "/users?page=0&size=1"));
                send(balance.api("/users?page=0&size=1"));
            }
        }
        Path out = SharedTopology.ROOT.resolve("topology-tests/target/browser");
        Path log = SharedTopology.ROOT.resolve("topology-tests/target/browser-ops.log");
        Files.deleteIfExists(out.resolve("ops.png"));
        long started = System.nanoTime();
        Process browser = new ProcessBuilder("bash", SharedTopology.ROOT.resolve("topology-tests/browser/run.sh").toString(),
                "ops-page.mjs", own + "/user/", out.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(browser.waitFor(180, TimeUnit.SECONDS), "the browser test finished");
        String text = Files.readString(log);
        System.out.println(text);
        System.out.printf("the ops page in Chromium: %.1f s (run.sh included)%n", (System.nanoTime() - started) / 1e9);
        assertEquals(0, browser.exitValue(), "ops-page.mjs passed (see target/browser-ops.log)");
        assertTrue(Files.size(out.resolve("ops.png")) > 10_000, "the screenshot was kept");
        if (instanceDownFired) {
            assertTrue(Pattern.compile("(?m)chart alerts: ok, [1-9]").matcher(text).find(),
                    "the alerts chart shows InstanceDown of the freeze above:\n" + text);
        }
    }

    static java.net.http.HttpHeaders origin(String origin) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PROMETHEUS + "/api/v1/query?query=up"))
                .header("Origin", origin).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).headers();
    }

    /** Prometheus' instant query: each series as {labels, value}. */
    static java.util.List<String[]> query(String promql) throws Exception {
        String body = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        java.util.List<String[]> series = new java.util.ArrayList<>();
        Matcher m = Pattern.compile("\\{\"metric\":(\\{[^}]*\\}),\"value\":\\[[0-9.]+,\"([^\"]*)\"\\]\\}").matcher(body);
        while (m.find()) {
            series.add(new String[] {m.group(1).replace("\"", "").replace(":", "="), m.group(2)});
        }
        return series;
    }

    static String single(String promql) throws Exception {
        java.util.List<String[]> series = query(promql);
        assertEquals(1, series.size(), promql + ": " + series.size() + " series");
        return series.get(0)[1];
    }

    /** Prometheus' /api/v1/alerts, one string per alert. */
    static java.util.List<String> alerts() throws Exception {
        String body = get("/api/v1/alerts");
        java.util.List<String> alerts = new java.util.ArrayList<>();
        Matcher m = Pattern.compile("\\{\"labels\":\\{[^}]*\\},\"annotations\":\\{[^}]*\\},\"state\":\"[a-z]+\"").matcher(body);
        while (m.find()) {
            alerts.add(m.group());
        }
        return alerts;
    }

    static String get(String path) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PROMETHEUS + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), path + ": " + response.body());
        return response.body();
    }
}
