package org.acme.balance.load;

import java.nio.file.Path;

/**
 * {@code ./balance demo SCENARIO}: one failover scenario against the topology that {@code ./balance up} started,
 * with the same load and measurements as the tests; prints the numbers and writes the timeline CSV and chart.
 */
public final class FailoverDemo {

    private FailoverDemo() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: FailoverDemo SCENARIO OUTPUT_DIR");
            System.exit(2);
        }
        Path root = Path.of("").toAbsolutePath();
        Scenario scenario = Scenario.byId(args[0]);
        Balance balance = Balance.ofUser(root);
        System.out.printf("demo %s: load through nginx for %d s; %s %s at %d s, %s at %d s%n", scenario.id, scenario.endS,
                scenario.failure.command, scenario.node, scenario.failAtS, scenario.failure.recovery, scenario.recoverAtS);
        ScenarioRun run = ScenarioRun.execute(balance, scenario);
        Path png = run.writeTimeline(Path.of(args[1]), root.resolve("infra/balance/timeline.gnuplot"));
        System.out.println(run.summary().replace("; ", "\n  "));
        System.out.println("timeline: " + png + " (and .csv beside it)");
    }
}
