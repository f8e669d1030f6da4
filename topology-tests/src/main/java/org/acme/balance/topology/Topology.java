package org.acme.balance.topology;

import java.net.URI;

/**
 * A running topology the scenarios can break and mend: the local runner's processes ({@link LocalTopology}) or the
 * compose stack's containers ({@link ComposeTopology}). Node names are the compose service names.
 */
public interface Topology {

    String PRIMARY = "service-db";
    String REPLICA = "service-db-replica";

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
