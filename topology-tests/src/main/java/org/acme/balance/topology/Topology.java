package org.acme.balance.topology;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * A running topology the scenarios can break and mend: the local runner's processes ({@link LocalTopology}) or the
 * compose stack's containers ({@link ComposeTopology}). Node names are the compose service names.
 */
public interface Topology {

    /** The primary: a Patroni cluster of two members; as a node name, whichever member leads (psql). */
    String PRIMARY = "service-db";
    List<String> MEMBERS = List.of("service-db-1", "service-db-2");
    String REPLICA = "service-db-replica";
    String ETCD = "etcd";
    /** Scenario targets resolved when the scenario starts: the member leading then, and the other one. */
    String LEADER = "leader";
    String STANDBY = "standby";

    /** The member of the primary's cluster that leads now (Patroni's view); fails when none does. */
    String leader();

    /** A planned change of leader through Patroni; returns once the other member leads. */
    void switchover();

    /**
     * Waits until MEMBER is ready: the leader, or a standby that could take over (streaming from the leader, holding
     * the logical replica's slot; after a failover, once it has rejoined by pg_rewind). False if not after TIMEOUT.
     */
    boolean awaitReady(String member, Duration timeout);

    /** The node a scenario names: {@link #LEADER} and {@link #STANDBY} resolved now, any other name as it is. */
    default String resolve(String node) {
        if (LEADER.equals(node) || STANDBY.equals(node)) {
            String leader = leader();
            return LEADER.equals(node) ? leader : MEMBERS.stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
        }
        return node;
    }

    /** SIGKILL: a crash. */
    void kill(String node);

    /** SIGSTOP / docker pause: a hung node. */
    void freeze(String node);

    void thaw(String node);

    /** Starts the node again and waits until it is ready; nothing when it runs. */
    void start(String node);

    /**
     * Stops or resumes logical replication on the replica the ways it stops in real life: {@code disable} /
     * {@code enable} the subscription, {@code freeze} / {@code thaw} (SIGSTOP / SIGCONT) its apply worker.
     */
    void replication(String action);

    /** The first column of the query's rows, one line each, run by the superuser on NODE in database users. */
    String psql(String node, String sql);

    /** The public entry point: nginx. */
    URI api(String path);
}
