package org.acme.balance.soak;

import java.util.Map;

/**
 * The resources of the topology at one moment of the soak (ms since the load started): each instance's process, each
 * PostgreSQL node's connections. A node that could not be measured (down, restarting) is absent from its map.
 */
public record ResourceSample(double atMs, Map<String, Instance> instances, Map<String, Node> nodes) {

    /**
     * One service instance: its PID (from the runner's pidfile), resident set (KiB), heap after a full GC (bytes,
     * Micrometer's jvm_gc_live_data_size_bytes; -1 when the metrics did not answer), threads and open file descriptors.
     */
    public record Instance(long pid, long rssKib, long heapAfterGcBytes, int threads, int fds) {
    }

    /**
     * One PostgreSQL node: its role then (leader, standby, replica), the connections clients opened (pg_stat_activity:
     * client backends and WAL senders, not the one asking), and those by application_name.
     */
    public record Node(String role, int connections, Map<String, Integer> byApplication) {
    }
}
