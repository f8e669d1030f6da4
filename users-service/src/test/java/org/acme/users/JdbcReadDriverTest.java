package org.acme.users;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;

/**
 * The read-consistency contract again, with the hot reads on JDBC ({@code users.read.driver=jdbc}, the benchmark's
 * comparison) instead of the reactive client: one set of rules, two drivers, both held to it.
 */
@QuarkusTest
@TestProfile(JdbcReadDriverTest.JdbcReads.class)
@WithTestResource(PostgresPair.class)
class JdbcReadDriverTest extends ReadConsistencyTest {

    public static class JdbcReads implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("users.read.driver", "jdbc");
        }
    }
}
