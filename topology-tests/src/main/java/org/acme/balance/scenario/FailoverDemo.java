package org.acme.balance.scenario;

import java.nio.file.Path;
import java.util.List;
import org.acme.balance.topology.ComposeTopology;
import org.acme.balance.topology.LocalTopology;
import org.acme.balance.topology.Topology;

/**
 * Failover scenarios against a running topology, with the load and the checks of the tests: prints the numbers,
 * writes the timeline CSV and chart, and exits 1 when the failure contract did not hold.
 * <ul>
 * <li>{@code ./balance demo SCENARIO}: the topology that {@code ./balance up} started;</li>
 * <li>{@code FailoverDemo --compose PROJECT HTTP_PORT all DIR}: the compose stack (./balance compose-test, infra/balance/compose.sh).</li>
 * </ul>
 * Each scenario also prints one tab-separated line for {@code ./balance bench}: {@code RESULT id held|violated
 * write_failover_ms writes_back_ms first_503_ms lost_acknowledged unacknowledged_stored stored_primary stored_replica
 * rejoined_ms failed_gets}.
 */
public final class FailoverDemo {

    private FailoverDemo() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of("").toAbsolutePath();
        Topology topology;
        int next = 0;
        if (args.length == 5 && "--compose".equals(args[0])) {
            topology = new ComposeTopology(root, args[1], Integer.parseInt(args[2]));
            next = 3;
        } else if (args.length == 2) {
            topology = LocalTopology.ofUser(root);
        } else {
            System.err.println("usage: FailoverDemo [--compose PROJECT HTTP_PORT] SCENARIO[,SCENARIO...]|all OUTPUT_DIR");
            System.exit(2);
            return;
        }
        // all, or one scenario, or several separated by commas
        List<Scenario> scenarios = "all".equals(args[next]) ? List.of(Scenario.values())
                : java.util.Arrays.stream(args[next].split(",")).map(Scenario::byId).toList();
        Path output = Path.of(args[next + 1]);
        int held = 0;
        for (Scenario scenario : scenarios) {
            System.out.printf("%s: load through nginx for %d s; %s %s at %d s%s%n", scenario.id, scenario.endS,
                    scenario.failure.command, scenario.node, scenario.failAtS, scenario.failure.isUndone()
                            ? String.format(", %s at %d s (then at least %d s more)", scenario.failure.recovery,
                                    scenario.recoverAtS, scenario.settleS)
                            : ", not undone while the load runs");
            ScenarioRun run;
            try {
                run = ScenarioRun.execute(topology, scenario);
            } catch (Exception | AssertionError e) {
                // one scenario that cannot run fails, and the others still run (each restores what it broke)
                System.out.println("  failure contract VIOLATED: the scenario could not run: " + e);
                continue;
            }
            Path png = run.writeTimeline(output, root.resolve("infra/balance/timeline.gnuplot"));
            System.out.println("  " + run.summary().replace("; ", "\n  "));
            System.out.println("  timeline: " + png + " (and .csv beside it)");
            List<String> violations = run.contractViolations();
            // one machine-readable line for ./balance bench (infra/balance/bench.sh)
            System.out.println(String.join("\t", "RESULT", scenario.id, violations.isEmpty() ? "held" : "violated",
                    fmt(run.writeFailoverMs()), fmt(run.writesBackAfterFailureMs()), fmt(run.firstWrite503Ms()),
                    String.valueOf(run.lostAcknowledgedWrites().size()), String.valueOf(run.unacknowledgedButStored()),
                    String.valueOf(run.storedOnPrimary.size()), String.valueOf(run.storedOnReplica), fmt(run.rejoinedMs),
                    String.valueOf(run.failedGets().size())));
            if (violations.isEmpty()) {
                held++;
                System.out.println("  failure contract: held");
            } else {
                violations.forEach(v -> System.out.println("  failure contract VIOLATED: " + v));
            }
        }
        System.out.printf("failover: %d passed, %d failed%n", held, scenarios.size() - held);
        System.exit(held == scenarios.size() ? 0 : 1);
    }

    private static String fmt(double ms) {
        return String.valueOf(Math.round(ms));
    }
}
