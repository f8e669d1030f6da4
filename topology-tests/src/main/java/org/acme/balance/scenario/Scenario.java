package org.acme.balance.scenario;

import org.acme.balance.topology.Topology;
/**
 * The failures of the failure contract (docs/architecture.md), each applied to one node under load and then undone:
 * the node fails at {@code failAtS}, recovers at {@code recoverAtS}; the load stops at {@code endS}, or
 * {@code settleS} after the recovery command returned when that is later (a container may take a while to be healthy).
 */
public enum Scenario {

    FAILOVER_REPLICA("failover-replica", Topology.REPLICA, Failure.KILL, 3, 10, 18, 5),
    FREEZE_REPLICA("freeze-replica", Topology.REPLICA, Failure.FREEZE, 3, 10, 18, 5),
    FAILOVER_PRIMARY("failover-primary", Topology.PRIMARY, Failure.KILL, 3, 10, 18, 5),
    // a restarted instance is tried again by nginx after its 5 s fail_timeout: the load outlasts that
    KILL_SERVICE("kill-service", "users-backend-1", Failure.KILL, 3, 10, 20, 8),
    FREEZE_SERVICE("freeze-service", "users-backend-2", Failure.FREEZE, 3, 10, 20, 8);

    /** Killed = SIGKILL (docker kill), started again; frozen = SIGSTOP (docker pause), then thawed. */
    public enum Failure {
        KILL("kill", "start"),
        FREEZE("freeze", "thaw");

        final String command;
        final String recovery;

        Failure(String command, String recovery) {
            this.command = command;
            this.recovery = recovery;
        }

        void apply(Topology topology, String node) {
            if (this == KILL) {
                topology.kill(node);
            } else {
                topology.freeze(node);
            }
        }

        void undo(Topology topology, String node) {
            if (this == KILL) {
                topology.start(node);
            } else {
                topology.thaw(node);
            }
        }
    }

    public final String id;
    public final String node;
    public final Failure failure;
    public final int failAtS;
    public final int recoverAtS;
    public final int endS;
    public final int settleS;

    Scenario(String id, String node, Failure failure, int failAtS, int recoverAtS, int endS, int settleS) {
        this.id = id;
        this.node = node;
        this.failure = failure;
        this.failAtS = failAtS;
        this.recoverAtS = recoverAtS;
        this.endS = endS;
        this.settleS = settleS;
    }

    public boolean hitsReplica() {
        return Topology.REPLICA.equals(node);
    }

    public boolean hitsPrimary() {
        return Topology.PRIMARY.equals(node);
    }

    public boolean hitsServiceInstance() {
        return node.startsWith("users-backend-");
    }

    public static Scenario byId(String id) {
        for (Scenario scenario : values()) {
            if (scenario.id.equals(id)) {
                return scenario;
            }
        }
        throw new IllegalArgumentException("unknown scenario " + id);
    }
}
