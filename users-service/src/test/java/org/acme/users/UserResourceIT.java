package org.acme.users;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/**
 * UserResourceTest against the packaged artifact (the jar in {@code verify}, the native executable with
 * {@code -Dnative}): users CRUD, every problem+json error, health, metrics, OpenAPI.
 */
@QuarkusIntegrationTest
class UserResourceIT extends UserResourceTest {
}
