package org.acme.users.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.acme.users.config.ConnectionBudget.Node;
import org.acme.users.config.ConnectionBudget.Pools;
import org.junit.jupiter.api.Test;

/**
 * The start-up refusal's arithmetic, without Quarkus or a database: the sums per node, the boundary, and a refusal
 * that names every setting an operator has to change.
 */
class ConnectionBudgetTest {

    static final Node PRIMARY = Node.primary(100, 15);
    static final Node REPLICA = Node.replica(100, 14);

    @Test
    void theReadPoolCountsOnTheLeaderBecauseItFallsBackThereWhileTheReplicaIsDown() {
        ConnectionBudget budget = new ConnectionBudget(3, new Pools(4, 5, 6, 0, 0), PRIMARY, REPLICA);
        assertEquals(4 + 5 + 6 + 2, budget.eachOnPrimary());
        assertEquals(3 * 17, budget.worstOnPrimary());
        assertEquals(6, budget.eachOnReplica());
        assertEquals(18, budget.worstOnReplica());
        assertEquals(List.of(), budget.problems());
    }

    @Test
    void theReactivePoolsCountTwiceOnTheLeaderAndOnceOnTheReplica() {
        // the defaults (infra/balance/budget.env): 3 x (5 + 4 + 4 + 2 x 3 + 2) = 63 of 85; 3 x (4 + 3) = 21 of 86
        ConnectionBudget budget = new ConnectionBudget(3, new Pools(5, 4, 4, 0, 0, 3), PRIMARY, REPLICA);
        assertEquals(21, budget.eachOnPrimary());
        assertEquals(63, budget.worstOnPrimary());
        assertEquals(7, budget.eachOnReplica());
        assertEquals(List.of(), budget.problems());
        // four instances still fit the leader (84), as before the reactive pools
        assertEquals(List.of(), new ConnectionBudget(4, new Pools(5, 4, 4, 0, 0, 3), PRIMARY, REPLICA).problems());
        ConnectionBudget over = new ConnectionBudget(3, new Pools(5, 4, 4, 0, 0, 8), PRIMARY, REPLICA);
        assertEquals(93, over.worstOnPrimary());
        assertEquals(1, over.problems().size(), over.problems().toString());
        assertTrue(over.refusal().contains("2 reactive pools 8 (USERS_READ_REACTIVE_POOL_MAX_SIZE)"), over.refusal());
    }

    @Test
    void theOldSixteensOverflowTheLeaderWithThreeInstances() {
        ConnectionBudget budget = new ConnectionBudget(3, new Pools(16, 16, 16, 0, 0), PRIMARY, REPLICA);
        List<String> problems = budget.problems();
        assertEquals(1, problems.size(), problems.toString());
        String refusal = budget.refusal();
        for (String named : List.of("service-db", "150", "3 instances", "USERS_BUDGET_INSTANCES", "write pool 16",
                "USERS_WRITE_POOL_MAX_SIZE", "read-primary pool 16", "USERS_READ_PRIMARY_POOL_MAX_SIZE", "read pool 16",
                "USERS_READ_POOL_MAX_SIZE", "max_connections 100", "USERS_BUDGET_PRIMARY_MAX_CONNECTIONS", "15 reserved",
                "USERS_BUDGET_PRIMARY_RESERVED", "room for 85")) {
            assertTrue(refusal.contains(named), "the refusal names " + named + ": " + refusal);
        }
    }

    @Test
    void exactlyFullFitsAndOneMoreDoesNot() {
        // 85 of room on the leader: 5 instances x (5 + 5 + 5 + 2) = 85
        assertEquals(List.of(), new ConnectionBudget(5, new Pools(5, 5, 5, 0, 0), PRIMARY, REPLICA).problems());
        ConnectionBudget over = new ConnectionBudget(5, new Pools(5, 5, 6, 0, 0), PRIMARY, REPLICA);
        assertEquals(90, over.worstOnPrimary());
        assertEquals(1, over.problems().size(), over.problems().toString());
    }

    @Test
    void theReplicaIsCheckedOnItsOwn() {
        // a small replica: 20 - 14 = 6 of room, 3 instances x read pool 3 = 9
        ConnectionBudget budget = new ConnectionBudget(3, new Pools(3, 3, 3, 0, 0), PRIMARY, Node.replica(20, 14));
        List<String> problems = budget.problems();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("service-db-replica"), problems.get(0));
        assertTrue(problems.get(0).contains("USERS_BUDGET_REPLICA_MAX_CONNECTIONS"), problems.get(0));
    }

    @Test
    void instancesThatMigrateAtStartCountTheirMigrationPools() {
        ConnectionBudget budget = new ConnectionBudget(3, new Pools(5, 5, 5, 2, 2), PRIMARY, REPLICA);
        assertEquals(19, budget.eachOnPrimary());
        assertEquals(7, budget.eachOnReplica());
        // 5 instances x 17 fit the leader's 85 exactly; migrating at start they would hold 5 x 19 = 95
        assertEquals(List.of(), new ConnectionBudget(5, new Pools(5, 5, 5, 0, 0), PRIMARY, REPLICA).problems());
        ConnectionBudget migrating = new ConnectionBudget(5, new Pools(5, 5, 5, 2, 2), PRIMARY, REPLICA);
        assertEquals(1, migrating.problems().size(), migrating.problems().toString());
        assertTrue(migrating.refusal().contains("migration pool 2 (USERS_MIGRATE_POOL_MAX_SIZE)"), migrating.refusal());
    }

    @Test
    void nonsenseIsRefusedToo() {
        assertEquals(1, new ConnectionBudget(0, new Pools(5, 5, 5, 0, 0), PRIMARY, REPLICA).problems().size());
        assertEquals(1, new ConnectionBudget(3, new Pools(0, 5, 5, 0, 0), PRIMARY, REPLICA).problems().size());
        assertEquals(1, new ConnectionBudget(3, new Pools(5, 5, 5, 0, 0), Node.primary(100, -1), REPLICA).problems().size());
    }
}
