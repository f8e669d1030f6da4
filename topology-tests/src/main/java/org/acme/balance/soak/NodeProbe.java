package org.acme.balance.soak;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.acme.balance.topology.LocalTopology;
import org.acme.balance.topology.Topology;

/**
 * Counts one PostgreSQL node's connections with the runner's {@code ./balance psql NODE}: the rows of pg_stat_activity
 * that clients opened (client backends and WAL senders), without the asking one, by application_name; and the node's
 * role (the leader of service-db, its standby, or the logical replica).
 */
final class NodeProbe {

    private static final String SQL = "SELECT pg_is_in_recovery()::text || '|' || coalesce(string_agg(app || '=' || n, ','"
            + " ORDER BY app), '') FROM (SELECT coalesce(nullif(application_name, ''), '-') AS app, count(*) AS n"
            + " FROM pg_stat_activity WHERE backend_type IN ('client backend', 'walsender') AND pid <> pg_backend_pid()"
            + " GROUP BY 1) AS a";

    private final LocalTopology topology;

    NodeProbe(LocalTopology topology) {
        this.topology = topology;
    }

    /** NODE's connections now; empty when it does not answer (killed, starting). */
    Optional<ResourceSample.Node> measure(String node) {
        String row;
        try {
            row = topology.run("psql", node, "-d", "postgres", "-At", "-c", SQL).strip();
        } catch (RuntimeException down) {
            return Optional.empty();
        }
        int bar = row.indexOf('|');
        if (bar < 0) {
            return Optional.empty();
        }
        String role = Topology.REPLICA.equals(node) ? "replica" : "true".equals(row.substring(0, bar)) ? "standby" : "leader";
        Map<String, Integer> byApplication = new LinkedHashMap<>();
        int total = 0;
        for (String pair : row.substring(bar + 1).split(",")) {
            int eq = pair.lastIndexOf('=');
            if (eq > 0) {
                int n = Integer.parseInt(pair.substring(eq + 1));
                byApplication.put(pair.substring(0, eq), n);
                total += n;
            }
        }
        return Optional.of(new ResourceSample.Node(role, total, byApplication));
    }
}
