package org.acme.users;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/**
 * ChatTest against the packaged artifact: frames parsed and written by hand (ChatInbound, ChatFrame), error
 * frames, the NOTIFY relay, the history endpoint. (Across instances: topology-tests' ChatAcrossInstancesIT.)
 */
@QuarkusIntegrationTest
class ChatSocketIT extends ChatTest {
}
