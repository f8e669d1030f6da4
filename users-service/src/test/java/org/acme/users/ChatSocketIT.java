package org.acme.users;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/**
 * ChatTest against the packaged artifact: frames parsed and written by hand (ChatInbound, ChatFrame), error
 * frames, the NOTIFY relay, the history endpoint. (Not "ChatIT": topology-tests has one, across instances.)
 */
@QuarkusIntegrationTest
class ChatSocketIT extends ChatTest {
}
