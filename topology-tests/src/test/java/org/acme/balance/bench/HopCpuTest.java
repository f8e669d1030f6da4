package org.acme.balance.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class HopCpuTest {

    // 1,000 requests; the machine busy 200 ticks (2,000 ms at 100 ticks/s); wrk 300 ms; nginx 20 ticks, an instance 90
    private static final String LINE = "full\t25\t3\t0\t15000\t1000\t0\t1.0\t2.0\t3.0\t-\t-\t200\t300"
            + "\tnginx=20,users-backend-1=90,haproxy=0";

    @Test
    void parsesEachNodesTicksInTheBenchsOrder() {
        Run run = Run.parse(LINE);
        assertEquals(List.of("nginx", "users-backend-1", "haproxy"), List.copyOf(run.hopTicks().keySet()));
        assertEquals(0.9, run.hopCpuMsPerRequest("users-backend-1", 100), 1e-9);
        assertEquals(Map.of(), Run.parse(LINE.substring(0, LINE.lastIndexOf('\t'))).hopTicks());
    }

    @Test
    void theRowsAddUpToTheMachinesBusyTime() {
        String table = new HopCpu(100).table(List.of(new HopCpu.Column("full", Optional.of(Run.parse(LINE)), "(wrk)")));
        assertTrue(table.contains("| the load generator | 0.300 (15%) (wrk) |"), table);
        assertTrue(table.contains("| nginx | 0.200 (10%) |"), table);
        assertTrue(table.contains("| users-backend-1 | 0.900 (45%) |"), table);
        // 2.0 - 0.3 - 0.2 - 0.9
        assertTrue(table.contains("| the rest of the machine (kernel, others) | 0.600 (30%) |"), table);
        assertTrue(table.contains("| **all** | 2.000 |"), table);
        // a node that spent nothing is left out
        assertTrue(!table.contains("haproxy"), table);
    }
}
