package org.acme.users;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/**
 * ReplicationTest against the packaged artifact: the read/write split seen through /db, and the migrator's work
 * (Flyway migrations read from the artifact's own classpath, as a native image must).
 */
@QuarkusIntegrationTest
class ReplicationIT extends ReplicationTest {
}
