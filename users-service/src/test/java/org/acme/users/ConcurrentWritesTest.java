package org.acme.users;

import static io.restassured.RestAssured.given;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.acme.races.WriteRaces;
import org.acme.testing.ChatClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue #20 on one instance: requests that change the same row at the same moment, {@value #CONCURRENCY} at a time,
 * each case {@value #REPETITIONS} times, answer what one serial order of them would (the cases and their checks are
 * test-support's WriteRaces; ConcurrentWritesIT runs them across two instances and nginx). Never a 5xx.
 */
@QuarkusTest
@WithTestResource(PostgresPair.class)
class ConcurrentWritesTest {

    static final int CONCURRENCY = 20;
    static final int REPETITIONS = 10;

    static WriteRaces races;

    @BeforeAll
    static void races() {
        races = new WriteRaces(new WriteRaces.Target() {
            public List<URI> bases() {
                return List.of(Chats.base());
            }

            public String onPrimary(String sql) throws Exception {
                return PostgresPair.current.query(PostgresPair.PRIMARY, "owner", sql);
            }
        }, CONCURRENCY);
    }

    @AfterAll
    static void report() {
        String retries = given().get(Management.url("/metrics")).then().extract().asString().lines()
                .filter(l -> l.startsWith("users_write_retries_total")).findFirst().orElse("users_write_retries_total -");
        System.out.println("ConcurrentWritesTest, " + CONCURRENCY + " concurrent requests, one instance:\n"
                + races.report() + "transactions run again after losing a race: " + retries);
        races.close();
    }

    @Test
    void deletesOfOneUser() throws Exception {
        for (int i = 0; i < REPETITIONS; i++) {
            races.deleteOneUser();
        }
    }

    @Test
    void putsOfOneUser() throws Exception {
        for (int i = 0; i < REPETITIONS; i++) {
            races.putOneUser();
        }
    }

    @Test
    void putsAndDeletesOfOneUser() throws Exception {
        for (int i = 0; i < REPETITIONS; i++) {
            races.putAndDeleteOneUser();
        }
    }

    @Test
    void postsOfOneEmail() throws Exception {
        for (int i = 0; i < REPETITIONS; i++) {
            races.postOneEmail();
        }
    }

    @Test
    void postsWithOneIdempotencyKey() throws Exception {
        for (int i = 0; i < REPETITIONS; i++) {
            races.postOneIdempotencyKey();
        }
    }

    @Test
    void putsOfManyUsersToOneNewEmail() throws Exception {
        for (int i = 0; i < REPETITIONS; i++) {
            races.putUsersToOneNewEmail();
        }
    }

    @Test
    void usersSwappingEmailsInPairs() throws Exception {
        for (int i = 0; i < REPETITIONS; i++) {
            races.swapEmailsInPairs();
        }
    }

    @Test
    void chatSocketsOfOneUserSendingOneKey() throws Exception {
        String room = TestData.uniqueRoom();
        List<ChatClient> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < CONCURRENCY; i++) {
                sockets.add(Chats.join(room, "racer"));
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
