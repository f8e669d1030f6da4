package org.acme.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.acme.balance.soak.SoakMain;
import org.acme.balance.soak.SoakSettings;
import org.acme.balance.topology.LocalTopology;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The soak of {@code ./balance soak}, two minutes long, on the shared topology: the scenarios' load, chat clients
 * posting, and the failure contract's failures in turn (replica killed, leader killed, users-backend-1 killed,
 * switchover; in 2 minutes as fast as the topology is whole again, each kind once when it fits), with the same checks:
 * nothing acknowledged lost or stored twice, every answer one the contract allows then, every acknowledged chat message
 * stored once, no resource growing more than 10 % from the first quarter to the last. Its report, chart and raw figures
 * go to target/soak/. It leaves every node up, and nginx serving from both its instances.
 */
@ExtendWith(SharedTopology.class)
class SoakIT {

    static final Path OUT = SharedTopology.ROOT.resolve("topology-tests/target/soak");
    static final List<String> NODES = List.of("etcd", "service-db-1", "service-db-2", "service-db-replica", "haproxy",
            "users-backend-1", "users-backend-2", "users-backend-3", "nginx");

    @Test
    void twoMinutesOfLoadChatAndFailuresLoseNothingAndLeakNothing() throws Exception {
        SoakMain.Outcome outcome = SoakMain.run(SharedTopology.balance(), SoakSettings.forMinutes(2), SharedTopology.ROOT,
                OUT, OUT, "`SoakIT` (topology-tests, `./mvnw verify`)");
        assertTrue(Files.size(OUT.resolve("benchmarks/soak.png")) > 1000, "the chart was drawn");
        assertEquals(List.of(), outcome.failed(), "every check of the soak held (report: " + outcome.report() + ")");
    }

    /** Whatever happened above, the classes after this one find every node running (start: nothing when it runs). */
    @AfterAll
    static void everyNodeUp() {
        LocalTopology balance = SharedTopology.balance();
        for (String node : NODES) {
            balance.start(node);
        }
    }
}
