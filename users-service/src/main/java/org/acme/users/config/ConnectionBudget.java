package org.acme.users.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The connection budget (docs/operations.md, "Connection budget"): the most connections the instances can hold on each
 * database node, in whichever failure, against what the node can give them. Arithmetic only, no database: an instance
 * checks it before it opens any connection ({@link ConnectionBudgetCheck}), and infra/balance/budget.sh does the same
 * sums for ./balance.
 *
 * <p>On the primary's leader (and on the standby, which takes all of it after a failover) one instance holds at worst
 * its write pool, its read-primary pool, its read pool (HAProxy :5001 sends the read path to the leader while the
 * replica is down, and those connections stay in the pool), its two reactive pools (read-primary, and read for the same
 * reason), the {@value #OWN_PRIMARY_CONNECTIONS} connections it opens
 * outside the pools, and its migration pool when it migrates at start. On the replica: its read pool, its reactive read
 * pool (and the migration pool). Every instance may hold all of it at once: a frozen instance keeps its connections while nginx's
 * backup serves in its place, so the worst case is the instance count times the worst of one.
 */
public record ConnectionBudget(int instances, Pools pools, Node primary, Node replica) {

    /**
     * Connections an instance holds on the primary outside its pools, both from {@code PrimaryConnections}: the chat's
     * LISTEN ({@code ChatListener}) and the replication heartbeat ({@code PrimaryWal}).
     */
    public static final int OWN_PRIMARY_CONNECTIONS = 2;

    static final String INSTANCES = "USERS_BUDGET_INSTANCES";
    static final String WRITE = "USERS_WRITE_POOL_MAX_SIZE";
    static final String READ_PRIMARY = "USERS_READ_PRIMARY_POOL_MAX_SIZE";
    static final String READ = "USERS_READ_POOL_MAX_SIZE";
    static final String MIGRATE = "USERS_MIGRATE_POOL_MAX_SIZE";
    static final String REACTIVE = "USERS_READ_REACTIVE_POOL_MAX_SIZE";

    /**
     * The max-size of each pool of one instance; the migration pools count only on an instance that migrates. REACTIVE is
     * the size of each of the two reactive pools (read and read-primary, org.acme.users.reactive.ReactivePools).
     */
    public record Pools(int write, int readPrimary, int read, int migratePrimary, int migrateReplica, int reactive) {

        /** Without reactive pools. */
        public Pools(int write, int readPrimary, int read, int migratePrimary, int migrateReplica) {
            this(write, readPrimary, read, migratePrimary, migrateReplica, 0);
        }
    }

    /** A database node: its max_connections and the slots the instances must leave to others. */
    public record Node(String name, int maxConnections, int reserved, String maxSetting, String reservedSetting) {

        public static Node primary(int maxConnections, int reserved) {
            return new Node("service-db", maxConnections, reserved, "USERS_BUDGET_PRIMARY_MAX_CONNECTIONS",
                    "USERS_BUDGET_PRIMARY_RESERVED");
        }

        public static Node replica(int maxConnections, int reserved) {
            return new Node("service-db-replica", maxConnections, reserved, "USERS_BUDGET_REPLICA_MAX_CONNECTIONS",
                    "USERS_BUDGET_REPLICA_RESERVED");
        }

        /** What the instances may use together. */
        public int room() {
            return maxConnections - reserved;
        }
    }

    /** One instance on the primary's leader at worst: every pool there, the read pool included (replica down). */
    public int eachOnPrimary() {
        return pools.write + pools.readPrimary + pools.read + 2 * pools.reactive + OWN_PRIMARY_CONNECTIONS
                + pools.migratePrimary;
    }

    /** One instance on the replica at worst. */
    public int eachOnReplica() {
        return pools.read + pools.reactive + pools.migrateReplica;
    }

    public int worstOnPrimary() {
        return instances * eachOnPrimary();
    }

    public int worstOnReplica() {
        return instances * eachOnReplica();
    }

    /** What is wrong, each a sentence naming the settings; empty when the budget holds. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (instances < 1) {
            problems.add("the instance count " + INSTANCES + " is " + instances + ": at least 1");
        }
        if (pools.reactive < 0) {
            problems.add("the reactive pools' size " + pools.reactive + " (" + REACTIVE + ") cannot be negative");
        }
        if (pools.write < 1 || pools.readPrimary < 1 || pools.read < 1) {
            problems.add("every pool needs at least one connection: write " + pools.write + " (" + WRITE + "), read-primary "
                    + pools.readPrimary + " (" + READ_PRIMARY + "), read " + pools.read + " (" + READ + ")");
        }
        for (Node node : List.of(primary, replica)) {
            if (node.maxConnections < 1 || node.reserved < 0) {
                problems.add(node.name + ": max_connections " + node.maxConnections + " (" + node.maxSetting + ") and "
                        + node.reserved + " reserved (" + node.reservedSetting + ") make no sense");
            }
        }
        if (!problems.isEmpty()) {
            return problems;
        }
        if (worstOnPrimary() > primary.room()) {
            problems.add(String.format(Locale.ROOT, "%s (the primary's leader, and the standby after a failover) would hold"
                    + " up to %d connections of the instances: %d instances (%s) x %d (write pool %d (%s) + read-primary"
                    + " pool %d (%s) + read pool %d (%s), on the leader while the replica is down + 2 reactive pools %d"
                    + " (%s), read-primary and read + %d of its own: the chat"
                    + " listener and the replication heartbeat%s); it has room for %d: max_connections %d (%s) - %d"
                    + " reserved (%s)", primary.name, worstOnPrimary(), instances, INSTANCES, eachOnPrimary(), pools.write,
                    WRITE, pools.readPrimary, READ_PRIMARY, pools.read, READ, pools.reactive, REACTIVE,
                    OWN_PRIMARY_CONNECTIONS,
                    pools.migratePrimary > 0 ? " + migration pool " + pools.migratePrimary + " (" + MIGRATE + ")" : "",
                    primary.room(), primary.maxConnections, primary.maxSetting, primary.reserved, primary.reservedSetting));
        }
        if (worstOnReplica() > replica.room()) {
            problems.add(String.format(Locale.ROOT, "%s would hold up to %d connections of the instances: %d instances (%s)"
                    + " x %d (read pool %d (%s) + reactive read pool %d (%s)%s); it has room for %d: max_connections %d"
                    + " (%s) - %d reserved (%s)",
                    replica.name, worstOnReplica(), instances, INSTANCES, eachOnReplica(), pools.read, READ,
                    pools.reactive, REACTIVE,
                    pools.migrateReplica > 0 ? " + migration pool " + pools.migrateReplica + " (" + MIGRATE + ")" : "",
                    replica.room(), replica.maxConnections, replica.maxSetting, replica.reserved, replica.reservedSetting));
        }
        return problems;
    }

    /** The refusal: every problem, and what to do about it. */
    public String refusal() {
        return "connection budget exceeded, not starting (docs/operations.md, \"Connection budget\"):\n  - "
                + String.join("\n  - ", problems())
                + "\n  Lower the pool sizes or the instance count, or raise max_connections on the node first and then"
                + " the setting that states it.";
    }

    /** One line for the log when the budget holds. */
    public String summary() {
        return String.format(Locale.ROOT, "connection budget holds: %s at worst %d x %d = %d of %d (max_connections %d - %d"
                + " reserved), %s at worst %d x %d = %d of %d (max_connections %d - %d reserved)", primary.name, instances,
                eachOnPrimary(), worstOnPrimary(), primary.room(), primary.maxConnections, primary.reserved, replica.name,
                instances, eachOnReplica(), worstOnReplica(), replica.room(), replica.maxConnections, replica.reserved);
    }
}
