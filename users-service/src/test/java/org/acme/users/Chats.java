package org.acme.users;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.restassured.RestAssured;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.acme.testing.ChatClient;

/** Chat clients on the instance under test (RestAssured's port). */
final class Chats {

    private Chats() {
    }

    static URI base() {
        return URI.create("http://localhost:" + RestAssured.port);
    }

    /** A member of ROOM: connected, its hello received from this instance. */
    static ChatClient join(String room, String user) throws Exception {
        ChatClient client = new ChatClient(room, user).connect(base());
        assertEquals("test-instance", client.instance);
        return client;
    }

    /** /chat/ROOM?user=USER (none when null) followed by QUERY (e.g. "&after=3"), as it is: no frame awaited. */
    static ChatClient connect(String room, String user, String query) throws Exception {
        String userParam = user == null ? "" : "user=" + URLEncoder.encode(user, StandardCharsets.UTF_8);
        return new ChatClient(room, user == null ? "" : user).open(base(), userParam + query);
    }
}
