package org.acme.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.acme.balance.topology.LocalTopology;
import org.junit.jupiter.api.Test;

/**
 * The runner normally applies migrations with one one-shot migrator before any instance starts. Here every
 * instance is a migrator and all three start at the same moment on empty databases: Flyway's advisory lock
 * must make them apply each migration exactly once, on each node.
 */
class ConcurrentMigrationIT {

    private static final Pattern APPLIED = Pattern.compile("Migrations applied: (\\d+) on the replica, (\\d+) on the primary");

    @Test
    void threeInstancesMigratingAtOnceApplyEachMigrationExactlyOnce() throws Exception {
        Path home = TopologyIT.ROOT.resolve("topology-tests/target/balance-migrate-it");
        LocalTopology balance = new LocalTopology(TopologyIT.ROOT, home, SharedTopology.PORT_OFFSET + 4000, // ports clear of the shared topology, up meanwhile
                Map.of("BALANCE_INSTANCES_MIGRATE", "true"));
        balance.down(true);
        try {
            balance.up(); // starts users-backend-1..3 together and waits until each is ready

            int onReplica = 0;
            int onPrimary = 0;
            for (int i = 1; i <= 3; i++) {
                String log = Files.readString(home.resolve("logs/users-backend-" + i + ".log"));
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
        } finally {
            balance.downKeepingLogs(TopologyIT.ROOT.resolve("topology-tests/target/logs/balance-migrate-it"));
        }
    }
}
