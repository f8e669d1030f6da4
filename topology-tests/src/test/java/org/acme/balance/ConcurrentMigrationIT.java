package org.acme.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.acme.balance.topology.LocalTopology;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The runner normally applies migrations with one one-shot migrator before any instance starts. Here every
 * instance is a migrator and all three start at the same moment on empty databases: Flyway's advisory lock
 * must make them apply each migration exactly once, on each node.
 *
 * <p>This topology is the suite's one besides the shared one (ports clear of it), so it also hosts the test that
 * takes a whole topology down: the runner's {@code down} after nginx was killed and started again.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConcurrentMigrationIT {

    static final Path HOME = TopologyIT.ROOT.resolve("topology-tests/target/balance-migrate-it");
    static final int PORT_OFFSET = SharedTopology.PORT_OFFSET + 4000;

    static LocalTopology balance;

    @BeforeAll
    static void up() {
        balance = new LocalTopology(TopologyIT.ROOT, HOME, PORT_OFFSET, Map.of("BALANCE_INSTANCES_MIGRATE", "true",
                // its own short-lived topology: no Prometheus and exporters beside it (CI time; MonitoringIT checks those)
                "BALANCE_MONITORING", "off"));
        balance.down(true);
        balance.up(); // starts users-backend-1..3 together and waits until each is ready
    }

    @AfterAll
    static void down() {
        if (balance != null) {
            balance.downKeepingLogs(TopologyIT.ROOT.resolve("topology-tests/target/logs/balance-migrate-it"));
        }
    }

    private static final Pattern APPLIED = Pattern.compile("Migrations applied: (\\d+) on the replica, (\\d+) on the primary");

    @Test
    @Order(1)
    void threeInstancesMigratingAtOnceApplyEachMigrationExactlyOnce() throws Exception {
        int onReplica = 0;
        int onPrimary = 0;
        for (int i = 1; i <= 3; i++) {
            String log = Files.readString(HOME.resolve("logs/users-backend-" + i + ".log"));
            Matcher applied = APPLIED.matcher(log);
            assertTrue(applied.find(), "users-backend-" + i + " ran the migrator");
            onReplica += Integer.parseInt(applied.group(1));
            onPrimary += Integer.parseInt(applied.group(2));
        }
        String history = "SELECT count(*) FROM flyway.flyway_schema_history WHERE version IS NOT NULL AND success";
        int primaryMigrations = Integer.parseInt(balance.psql(LocalTopology.PRIMARY, history));
        int replicaMigrations = Integer.parseInt(balance.psql(LocalTopology.REPLICA, history));
        assertTrue(primaryMigrations > replicaMigrations && replicaMigrations > 0, "schema + data vs schema only");
        assertEquals(replicaMigrations, onReplica, "each schema migration ran once on the replica, by one of the three");
        assertEquals(primaryMigrations, onPrimary, "each migration ran once on the primary, by one of the three");

        // the seed rows exist once, on the primary and (replicated) on the replica, and the API serves them
        assertEquals("3", balance.psql(LocalTopology.PRIMARY, "SELECT count(*) FROM users.app_user"));
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!"3".equals(balance.psql(LocalTopology.REPLICA, "SELECT count(*) FROM users.app_user"))
                && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertEquals("3", balance.psql(LocalTopology.REPLICA, "SELECT count(*) FROM users.app_user"));
        HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(balance.api("/users"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode(), page.body());
        assertTrue(page.body().contains("\"total\":3"), page.body());
    }

    @Test
    @Order(2)
    void downStopsTheNginxStartedAfterAKillNotTheDeadOnesPidFile() throws Exception {
        String before = nginxPid();
        balance.kill("nginx");
        assertFalse(running(before), "the killed master is gone");
        balance.start("nginx");
        String after = nginxPid();
        assertTrue(!after.equals(before) && running(after), "a new master: " + before + " -> " + after);
        assertEquals("nginx", Files.readString(Path.of("/proc", after, "comm")).strip());
        assertTrue(balance.run("status").matches("(?s).*\\nnginx +" + after + " +up .*"), "status shows the new master");
        List<String> processes = new ArrayList<>(List.of(command("pgrep", "-P", after).split("\\s+")));
        processes.add(after);
        balance.down(true);
        for (String pid : processes) {
            assertFalse(!pid.isBlank() && running(pid), "nginx process " + pid + " outlived down -v");
        }
        for (int port : List.of(8080 + PORT_OFFSET, 8443 + PORT_OFFSET)) {
            try (ServerSocket free = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                // bound: nothing listens there any more
            }
        }
    }

    private static String nginxPid() {
        Matcher m = Pattern.compile("(?m)^nginx +(\\d+) +up ").matcher(balance.run("status"));
        assertTrue(m.find(), "nginx is up");
        return m.group(1);
    }

    /** PID exists and is not a zombie (an orphan's parent here may never reap it; it has exited all the same). */
    private static boolean running(String pid) {
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException gone) {
            return false;
        }
    }

    private static String command(String... args) throws Exception {
        Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), String.join(" ", args));
        return out;
    }
}
