package org.acme.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.acme.balance.topology.LocalTopology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code ./balance up} on a topology that is already up (what a user does twice, and what the bench does first):
 * it succeeds and starts or restarts nothing. A version of it exited 1 there without a word, and the bench never ran.
 */
@ExtendWith(SharedTopology.class)
class UpAgainIT {

    static final String STARTED = "SELECT pg_postmaster_start_time()";

    @Test
    void upOnARunningTopologySucceedsAndRestartsNothing() throws IOException {
        LocalTopology balance = SharedTopology.balance();
        Map<String, String> pids = pidFiles(balance);
        String leaderStarted = balance.psql("service-db", STARTED);
        String replicaStarted = balance.psql("service-db-replica", STARTED);
        assertFalse(pids.isEmpty(), "the runner's pid files in " + balance.home().resolve("run"));

        balance.run("up"); // fails the test with its output when it exits non-zero (it exited 1 here, silently)

        assertEquals(pids, pidFiles(balance), "every node keeps its process");
        assertEquals(leaderStarted, balance.psql("service-db", STARTED), "the leader's PostgreSQL was not restarted");
        assertEquals(replicaStarted, balance.psql("service-db-replica", STARTED),
                "the replica's PostgreSQL was not restarted");
    }

    private static Map<String, String> pidFiles(LocalTopology balance) throws IOException {
        Map<String, String> pids = new TreeMap<>();
        try (Stream<Path> files = Files.list(balance.home().resolve("run"))) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".pid"))::iterator) {
                pids.put(file.getFileName().toString(), Files.readString(file).strip());
            }
        }
        return pids;
    }
}
