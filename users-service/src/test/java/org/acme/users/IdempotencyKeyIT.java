package org.acme.users;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** IdempotencyKeyTest against the packaged artifact: replays, 422/400 problems, concurrent creates with one key. */
@QuarkusIntegrationTest
class IdempotencyKeyIT extends IdempotencyKeyTest {
}
