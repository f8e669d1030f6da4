package org.acme.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.acme.balance.topology.LocalTopology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The PostgreSQL 15 gap, made to happen on purpose, and what the replica's guard (postgres/replica-guard.sh) does
 * about it. The leader's WAL sender to the standby is frozen, so the standby receives nothing more while Patroni still
 * counts it as the synchronous standby; a row is inserted on the leader (its commit waits for the standby, never
 * answered) and reaches the logical replica anyway, through the leader's other WAL sender; the leader is killed, and
 * the standby takes over without that row. Without
 * the guard the replica keeps a row the primary never had, and resumes from beyond the new leader's first commits.
 * With it, the replica holds exactly the new leader's rows within seconds, and replication goes on.
 */
@ExtendWith(SharedTopology.class)
class ReplicaReseedIT {

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final String ROWS = "SELECT count(*) || ' rows, ids up to ' || coalesce(max(id), 0) FROM users.app_user";

    @Test
    void aReplicaLeftWithACommitTheNewLeaderNeverHadIsReseededFromIt() throws Exception {
        LocalTopology balance = SharedTopology.balance();
        String leader = balance.leader();
        String standby = leader.equals("service-db-1") ? "service-db-2" : "service-db-1";
        for (String member : List.of(leader, standby)) {
            assertTrue(balance.awaitReady(member, Duration.ofSeconds(120)), member + " ready before the test");
        }
        String orphan = "orphan-" + UUID.randomUUID() + "@example.com";
        // (freezing the standby's receiver instead is not enough: what the sender had written waits in the socket)
        String sender = balance.psql("service-db", "SELECT pid FROM pg_stat_replication WHERE application_name = '"
                + standby + "'");
        assertTrue(sender.matches("[0-9]+"), "the leader's WAL sender to " + standby + ": " + sender);
        signal("STOP", sender);
        CompletableFuture<Void> insert;
        try {
            // the commit waits for the frozen standby: never answered; the leader's logical walsender ships it anyway
            insert = CompletableFuture.runAsync(() -> {
                try {
                    balance.psql("service-db", "INSERT INTO users.app_user (name, email, created_at, updated_at)"
                            + " VALUES ('Orphan', '" + orphan + "', now(), now())");
                } catch (IllegalStateException killed) {
                    // the leader dies under it
                }
            });
            await(Duration.ofSeconds(20), "the unacknowledged row on the replica",
                    () -> "1".equals(balance.psql("service-db-replica",
                            "SELECT count(*) FROM users.app_user WHERE email = '" + orphan + "'")));
        } finally {
            balance.kill(leader); // the frozen sender with it
        }
        insert.get();
        long killed = System.nanoTime();
        await(Duration.ofSeconds(60), standby + " leading", () -> standby.equals(leaderOrNull(balance)));
        assertEquals("0", balance.psql("service-db", "SELECT count(*) FROM users.app_user WHERE email = '" + orphan + "'"),
                "the new leader never had the unacknowledged row");

        // the guard: the replica re-seeded from the new leader, without the row
        await(Duration.ofSeconds(60), "the replica holding exactly the new leader's rows", () ->
                balance.psql("service-db", ROWS).equals(balance.psql("service-db-replica", ROWS))
                        && "0".equals(balance.psql("service-db-replica",
                                "SELECT count(*) FROM users.app_user WHERE email = '" + orphan + "'")));
        System.out.printf("ReplicaReseedIT: replica = new leader (%s) %d ms after the kill; guard: %s%n",
                balance.psql("service-db", ROWS), (System.nanoTime() - killed) / 1_000_000, guardLine(balance));

        // and replication goes on: a user created through the API reaches the replica
        String email = "after-reseed-" + UUID.randomUUID() + "@example.com";
        HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(balance.api("/users"))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .header("Idempotency-Key", UUID.randomUUID().toString())
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"After\",\"email\":\"" + email + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, created.statusCode(), created.body());
        await(Duration.ofSeconds(20), "the new user on the replica", () -> "1".equals(balance.psql("service-db-replica",
                "SELECT count(*) FROM users.app_user WHERE email = '" + email + "'")));
        URI readBack = balance.api(URI.create(created.headers().firstValue("Location").orElseThrow()).getPath());
        assertEquals(200, HTTP.send(HttpRequest.newBuilder(readBack).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());

        // the pair whole again for the classes after this one
        balance.start(leader);
        assertTrue(balance.awaitReady(leader, Duration.ofSeconds(150)), leader + " back as a ready standby");
        assertNotEquals(leader, balance.leader());
    }

    private static String guardLine(LocalTopology balance) {
        return balance.run("status").lines().filter(l -> l.contains("replica guard")).findFirst().orElse("(none)").strip();
    }

    private static String leaderOrNull(LocalTopology balance) {
        try {
            return balance.leader();
        } catch (IllegalStateException none) {
            return null;
        }
    }

    private static void signal(String signal, String pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, pid).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal + " " + pid);
    }

    private static void await(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (IllegalStateException notNow) {
                // a node not answering yet: ask again
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(250);
        }
    }
}
