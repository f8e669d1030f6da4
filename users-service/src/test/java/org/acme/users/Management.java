package org.acme.users;

import io.quarkus.test.common.http.TestHTTPResourceManager;

/** The instance's management interface (health, metrics, OpenAPI): a port of its own, apart from the API's. */
final class Management {

    private Management() {
    }

    /** PATH under the management root, e.g. "/health/ready" for http://localhost:PORT/q/health/ready. */
    static String url(String path) {
        return TestHTTPResourceManager.getManagementUri() + path;
    }
}
