package org.acme.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.acme.balance.topology.LocalTopology;
import org.acme.races.WriteRaces;
import org.acme.testing.ChatClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue #20 on the shared topology: the races of ConcurrentWritesTest (test-support's WriteRaces) with the requests
 * of each race sent to users-backend-1 and users-backend-2 in turn, so that two instances, each with its own pool and
 * transactions, race on one row; then the same through nginx. {@value #CONCURRENCY} requests at a time, each case
 * {@value #REPETITIONS} times across the instances and {@value #NGINX_REPETITIONS} times through nginx. The chat: sockets of one user on both instances send one key at once.
 * Its own users and rooms; no node is stopped, so the classes sharing the topology are not disturbed.
 */
@ExtendWith(SharedTopology.class)
class ConcurrentWritesIT {

    static final int CONCURRENCY = 20;
    static final int REPETITIONS = 10;
    static final int NGINX_REPETITIONS = 3;
    static final List<String> INSTANCES = List.of("users-backend-1", "users-backend-2");

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    static LocalTopology balance;
    static WriteRaces acrossInstances;
    static WriteRaces throughNginx;

    @BeforeAll
    static void races() {
        balance = SharedTopology.balance();
        acrossInstances = new WriteRaces(target(INSTANCES.stream().map(n -> balance.instance(n, "")).toList()), CONCURRENCY);
        throughNginx = new WriteRaces(target(List.of(balance.api(""))), CONCURRENCY);
    }

    static WriteRaces.Target target(List<URI> bases) {
        return new WriteRaces.Target() {
            public List<URI> bases() {
                return bases;
            }

            public String onPrimary(String sql) {
                String out = balance.psql("service-db", sql); // the leader, whichever member it is
                return out.isEmpty() ? null : out;
            }
        };
    }

    @AfterAll
    static void report() throws Exception {
        System.out.println("ConcurrentWritesIT, " + CONCURRENCY + " concurrent requests, users-backend-1 and -2 in turn:\n"
                + acrossInstances.report() + "through nginx:\n" + throughNginx.report()
                + "transactions run again after losing a race: " + retries());
        acrossInstances.close();
        throughNginx.close();
        // leave the replica caught up for the classes that compare it with the primary
        String sql = "SELECT count(*) || '/' || coalesce(max(id), 0) FROM users.app_user";
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!balance.psql("service-db", sql).equals(balance.psql("service-db-replica", sql))
                && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
    }

    /** users_write_retries_total of each instance, from its management port (the API's + 1000). */
    static String retries() {
        StringBuilder counts = new StringBuilder();
        for (String instance : INSTANCES) {
            URI api = balance.instance(instance, "");
            URI metrics = URI.create("http://" + api.getHost() + ":" + (api.getPort() + 1000) + "/q/metrics");
            String count;
            try {
                count = HTTP.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString()).body().lines()
                        .filter(l -> l.startsWith("users_write_retries_total")).map(l -> l.substring(l.indexOf(' ') + 1))
                        .findFirst().orElse("-");
            } catch (Exception e) {
                count = "? (" + e.getMessage() + ")";
            }
            counts.append(instance).append(' ').append(count).append("; ");
        }
        return counts.toString();
    }

    interface Race {
        void run(WriteRaces races) throws Exception;
    }

    static void repeat(Race race) throws Exception {
        for (int i = 0; i < REPETITIONS; i++) {
            race.run(acrossInstances);
        }
        // nginx spreads each race over the same two instances: a few rounds show the edge changes nothing (CI's time)
        for (int i = 0; i < NGINX_REPETITIONS; i++) {
            race.run(throughNginx);
        }
    }

    @Test
    void deletesOfOneUser() throws Exception {
        repeat(WriteRaces::deleteOneUser);
    }

    @Test
    void putsOfOneUser() throws Exception {
        repeat(WriteRaces::putOneUser);
    }

    @Test
    void putsAndDeletesOfOneUser() throws Exception {
        repeat(WriteRaces::putAndDeleteOneUser);
    }

    @Test
    void postsOfOneEmail() throws Exception {
        repeat(WriteRaces::postOneEmail);
    }

    @Test
    void postsWithOneIdempotencyKey() throws Exception {
        repeat(WriteRaces::postOneIdempotencyKey);
    }

    @Test
    void putsOfManyUsersToOneNewEmail() throws Exception {
        repeat(WriteRaces::putUsersToOneNewEmail);
    }

    @Test
    void usersSwappingEmailsInPairs() throws Exception {
        repeat(WriteRaces::swapEmailsInPairs);
    }

    /** Sockets of one user on both instances (and then through nginx) send one key at the same moment. */
    @Test
    void chatSocketsOfOneUserOnTwoInstancesSendingOneKey() throws Exception {
        chatRaces(acrossInstances, INSTANCES.stream().map(n -> balance.instance(n, "")).toList());
        chatRaces(throughNginx, List.of(balance.api("")));
    }

    static void chatRaces(WriteRaces races, List<URI> bases) throws Exception {
        String room = "races-" + UUID.randomUUID().toString().substring(0, 8);
        List<ChatClient> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < CONCURRENCY; i++) {
                sockets.add(new ChatClient(room, "racer").connect(bases.get(i % bases.size())));
            }
            if (bases.size() > 1) {
                assertEquals(INSTANCES, sockets.stream().map(s -> s.instance).distinct().sorted().toList(),
                        "sockets on both instances");
            }
            for (int i = 0; i < REPETITIONS; i++) {
                races.chatOneKey(sockets);
            }
            races.chatSettled(sockets, REPETITIONS);
        } finally {
            sockets.forEach(ChatClient::close);
        }
    }
}
