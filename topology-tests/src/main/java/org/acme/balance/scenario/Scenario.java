package org.acme.balance.scenario;

import org.acme.balance.topology.Topology;

/**
 * The failures of the failure contract (docs/architecture.md), each applied to one node under load: the node fails
 * at {@code failAtS} and, for failures that are undone, recovers at {@code recoverAtS}; the load stops at
 * {@code endS}, or {@code settleS} after the last command (the failure's, or the recovery's) returned when that is
 * later (a container may take a while to be healthy, a switchover through docker-compose a while to return). {@link Topology#LEADER} and {@link Topology#STANDBY} name the primary's members as they are
 * when the scenario starts.
 */
public enum Scenario {

    FAILOVER_REPLICA("failover-replica", Topology.REPLICA, Failure.KILL, 3, 10, 18, 5),
    FREEZE_REPLICA("freeze-replica", Topology.REPLICA, Failure.FREEZE, 3, 10, 18, 5),
    // Patroni hands the lead to the synchronous standby once the leader's key has expired (ttl 9 s): the load
    // outlasts that by 10 s; the killed member is started again only after the load (it rejoins as a standby)
    LEADER_KILLED("leader-killed", Topology.LEADER, Failure.KILL_FOR_GOOD, 3, 0, 26, 0),
    // thawed well after the failover: the old leader must step down and rejoin, never accept a write that is lost
    LEADER_FROZEN("leader-frozen", Topology.LEADER, Failure.FREEZE, 3, 22, 30, 5),
    STANDBY_KILLED("standby-killed", Topology.STANDBY, Failure.KILL, 3, 10, 18, 5),
    ETCD_KILLED("etcd-killed", Topology.ETCD, Failure.KILL, 3, 13, 20, 5),
    // the load goes on 6 s after the switchover command returned: the new leader takes writes by then
    SWITCHOVER("switchover", Topology.LEADER, Failure.SWITCHOVER, 3, 0, 16, 6),
    // a restarted instance is tried again by nginx after its 5 s fail_timeout: the load outlasts that
    KILL_SERVICE("kill-service", "users-backend-1", Failure.KILL, 3, 10, 20, 8),
    FREEZE_SERVICE("freeze-service", "users-backend-2", Failure.FREEZE, 3, 10, 20, 8);

    /**
     * Killed = SIGKILL (docker kill), started again; frozen = SIGSTOP (docker pause), then thawed; killed for good =
     * not started again while the load runs; switchover = a planned change of leader (nothing to undo).
     */
    public enum Failure {
        KILL("kill", "start"),
        FREEZE("freeze", "thaw"),
        KILL_FOR_GOOD("kill", null),
        SWITCHOVER("switchover from", null);

        /** The runner's command that fails the node ("kill", "freeze", ...), and the one that undoes it, if any. */
        public final String command;
        public final String recovery;

        Failure(String command, String recovery) {
            this.command = command;
            this.recovery = recovery;
        }

        public boolean isUndone() {
            return recovery != null;
        }

        public void apply(Topology topology, String node) {
            switch (this) {
                case KILL, KILL_FOR_GOOD -> topology.kill(node);
                case FREEZE -> topology.freeze(node);
                case SWITCHOVER -> topology.switchover();
            }
        }

        public void undo(Topology topology, String node) {
            if (this == KILL) {
                topology.start(node);
            } else if (this == FREEZE) {
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

    /** The primary's leader fails or hands over: writes fail over to the other member. */
    public boolean hitsLeader() {
        return Topology.LEADER.equals(node);
    }

    /** A failure the writes must not notice: the standby, etcd. */
    public boolean writesUnaffected() {
        return Topology.STANDBY.equals(node) || Topology.ETCD.equals(node) || hitsReplica();
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
