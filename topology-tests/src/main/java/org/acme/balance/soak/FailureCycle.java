package org.acme.balance.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.acme.balance.scenario.Scenario;
import org.acme.balance.topology.LocalTopology;
import org.acme.balance.topology.Topology;

/**
 * The soak's failures, from the failure contract, in turn: the replica killed, the primary's leader killed, a service
 * instance killed, a switchover (the scenarios failover-replica, leader-killed, kill-service and switchover, on the
 * same nodes with the runner's same commands). A killed node is started again by the runner: the replica and the
 * instance after the scenario's 7 s, the old leader once the other member leads. The next failure starts only once the
 * topology is whole again ({@link TopologyWhole}) and SETTLE later, and no sooner than EVERY after the one before.
 */
final class FailureCycle {

    static final List<Scenario> KINDS = List.of(Scenario.FAILOVER_REPLICA, Scenario.LEADER_KILLED, Scenario.KILL_SERVICE,
            Scenario.SWITCHOVER);
    static final Duration WHOLE_WITHIN = Duration.ofSeconds(240);

    /**
     * One failure: what, on which node, when it was given (ms on the load's clock), when the failure command returned,
     * when the node was started again (the switchover: when it returned), when the topology was whole again (-1: not
     * within the wait), and the end of its stretch (whole + settle): requests in [atMs, untilMs] are judged by the
     * scenario's rules. PROBLEM: a command that failed, or what was still missing.
     */
    record Injected(Scenario scenario, String target, double atMs, double failedMs, double restartedMs, double wholeMs,
            double untilMs, String problem) {

        String label() {
            return scenario.id + " (" + scenario.failure.command + " " + target + ")";
        }
    }

    private final LocalTopology topology;
    private final TopologyWhole whole;
    private final DoubleSupplier clock;
    private final SoakSettings settings;
    private final List<Injected> injected = new ArrayList<>();

    FailureCycle(LocalTopology topology, DoubleSupplier clock, SoakSettings settings) {
        this.topology = topology;
        this.whole = new TopologyWhole(topology);
        this.clock = clock;
        this.settings = settings;
    }

    /**
     * Fails nodes in turn from FIRST_AT until LAST_START_AT (ms on the load's clock), each on schedule and once the one
     * before is over. Returns when the last one is over (the topology whole again, or given up on).
     */
    List<Injected> run(double firstAtMs, double lastStartAtMs) throws InterruptedException {
        double next = firstAtMs;
        for (int n = 0; ; n++) {
            if (next > lastStartAtMs) {
                break;
            }
            sleepUntil(next);
            Injected done = inject(KINDS.get(n % KINDS.size()));
            injected.add(done);
            System.out.printf("soak: [%.0f s] %s: %s%n", done.atMs() / 1000, done.label(), done.problem() == null
                    ? String.format(java.util.Locale.ROOT, "whole again %.1f s later", (done.wholeMs() - done.atMs()) / 1000)
                    : "PROBLEM " + done.problem());
            if (done.wholeMs() < 0) {
                break; // the topology is not whole: another failure would prove nothing
            }
            next = Math.max(done.atMs() + settings.failureEveryMs(), done.untilMs());
        }
        return List.copyOf(injected);
    }

    private Injected inject(Scenario scenario) throws InterruptedException {
        String target;
        double at = clock.getAsDouble();
        try {
            target = topology.resolve(scenario.node);
        } catch (RuntimeException e) {
            return new Injected(scenario, scenario.node, at, -1, -1, -1, clock.getAsDouble() + settings.settleMs(),
                    "no leader to resolve: " + e.getMessage());
        }
        double failed = -1;
        double restarted = -1;
        String problem = null;
        try {
            scenario.failure.apply(topology, target);
            failed = clock.getAsDouble();
            switch (scenario.failure) {
                case KILL -> {
                    sleepUntil(at + (scenario.recoverAtS - scenario.failAtS) * 1000.0);
                    scenario.failure.undo(topology, target);
                }
                case KILL_FOR_GOOD -> {
                    // the standby takes over once the leader's key expires; then the old leader is started again and
                    // the runner waits until it is a standby ready to take over (rewound if need be)
                    awaitLeader(other(target), Duration.ofSeconds(90));
                    topology.start(target);
                }
                default -> {
                    // a switchover returns once the other member leads and the old leader is a ready standby
                }
            }
            restarted = clock.getAsDouble();
        } catch (RuntimeException e) {
            problem = scenario.failure.command + " " + target + ": " + e.getMessage();
            try {
                topology.start(target); // never leave it down
            } catch (RuntimeException again) {
                problem += "; start " + target + " failed too: " + again.getMessage();
            }
        }
        List<String> missing = whole.await(WHOLE_WITHIN);
        double wholeAt = missing.isEmpty() ? clock.getAsDouble() : -1;
        if (!missing.isEmpty()) {
            problem = (problem == null ? "" : problem + "; ") + "not whole again within " + WHOLE_WITHIN.toSeconds()
                    + " s: " + missing;
        }
        double until = (wholeAt < 0 ? clock.getAsDouble() : wholeAt) + settings.settleMs();
        return new Injected(scenario, target, at, failed, restarted, wholeAt, until, problem);
    }

    private static String other(String member) {
        return Topology.MEMBERS.stream().filter(m -> !m.equals(member)).findFirst().orElseThrow();
    }

    private void awaitLeader(String member, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (member.equals(topology.leader())) {
                    return;
                }
            } catch (RuntimeException noLeaderYet) {
                // ./balance leader fails while no member leads
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException(member + " did not lead within " + timeout.toSeconds() + " s");
    }

    private void sleepUntil(double atMs) throws InterruptedException {
        double wait = atMs - clock.getAsDouble();
        if (wait > 0) {
            Thread.sleep((long) wait);
        }
    }
}
