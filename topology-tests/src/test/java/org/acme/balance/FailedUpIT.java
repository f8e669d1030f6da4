package org.acme.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.acme.balance.topology.LocalTopology;
import org.junit.jupiter.api.Test;

/**
 * A node that cannot start is reported within seconds, with the cause from its log, and the failed {@code up} stops
 * everything it started. The node: service-db-1, whose PostgreSQL port another process holds (as a forgotten server
 * would), so its PostgreSQL cannot bind. Before this was built, {@code up} waited 90 s for a leader and left etcd and
 * both Patroni members running.
 */
class FailedUpIT {

    static final Path ROOT = SharedTopology.ROOT;
    /** Clear of the shared topology's ports (offset 10000), which may be up meanwhile. */
    static final int PORT_OFFSET = SharedTopology.PORT_OFFSET + 6000;
    static final Path HOME = ROOT.resolve("topology-tests/target/balance-failed-up-it");

    @Test
    void aMemberThatCannotStartFailsUpWithinSecondsAndUpStopsWhatItStarted() throws Exception {
        // its own short-lived topology: no Prometheus and exporters beside it (CI time; MonitoringIT checks those)
        LocalTopology balance = new LocalTopology(ROOT, HOME, PORT_OFFSET, Map.of("BALANCE_MONITORING", "off"));
        balance.down(true);
        try {
            String failure;
            long took;
            try (ServerSocket squatter = new ServerSocket()) {
                squatter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 15432 + PORT_OFFSET));
                long start = System.nanoTime();
                failure = upFailure(balance);
                took = (System.nanoTime() - start) / 1_000_000;
            }
            System.out.printf("FailedUpIT: up failed after %d ms:%n%s%n", took, failure);
            assertNotNull(failure, "up succeeded although service-db-1's port was taken");
            assertTrue(failure.contains("service-db-1 cannot start"), "the failure names the node: " + failure);
            assertTrue(failure.contains("Address already in use"), "the failure gives the cause from its log: " + failure);
            // etcd, the members' start and the standby's clone take about 15 s here; the old wait was 90 s and more
            assertTrue(took < 60_000, "reported within seconds, not at the end of a wait: " + took + " ms");
            assertTrue(failure.contains("up failed: stopping what it started"), failure);
            assertNothingRuns(balance);
        } finally {
            balance.down(true);
        }
    }

    /** Nothing the failed up started still runs: every pid file's process gone, every port free, status all down. */
    private static void assertNothingRuns(LocalTopology balance) throws IOException {
        List<String> running = new ArrayList<>();
        try (Stream<Path> pidFiles = Files.list(HOME.resolve("run"))) {
            for (Path file : (Iterable<Path>) pidFiles.filter(f -> f.toString().endsWith(".pid"))::iterator) {
                String pid = Files.readString(file).strip();
                Path stat = Path.of("/proc", pid, "stat");
                if (!pid.isEmpty() && Files.exists(stat) && !Files.readString(stat).split(" ")[2].equals("Z")) {
                    running.add(file.getFileName() + " " + pid);
                }
            }
        }
        assertEquals(List.of(), running, "processes the failed up left running");
        for (int port : List.of(2479, 15434, 8201, 8202, 15433, 5000, 7000, 8081, 8080)) {
            assertFalse(listening(port + PORT_OFFSET), "port " + (port + PORT_OFFSET) + " still listening");
        }
        String status = balance.run("status");
        for (String node : List.of("etcd", "service-db-1", "service-db-2", "service-db-replica", "haproxy", "nginx")) {
            assertTrue(status.lines().anyMatch(line -> line.startsWith(node + " ") && line.contains(" down ")),
                    node + " down in ./balance status:\n" + status);
        }
    }

    /** The output of a failed {@code ./balance up}, or null when it succeeded. */
    private static String upFailure(LocalTopology balance) {
        try {
            balance.up();
            return null;
        } catch (IllegalStateException failed) {
            return failed.getMessage();
        }
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }
}
