package org.acme.users;

import io.quarkus.test.common.http.TestHTTPResourceManager;
import java.net.URI;
import org.eclipse.microprofile.config.ConfigProvider;

/** The instance's management interface (health, metrics, OpenAPI): a port of its own, apart from the API's. */
final class Management {

    private Management() {
    }

    /** PATH under the management root, e.g. "/health/ready" for http://localhost:PORT/q/health/ready. */
    static String url(String path) {
        URI root = URI.create(TestHTTPResourceManager.getManagementUri());
        if (root.getPort() <= 0) {
            // @QuarkusIntegrationTest: the artifact runs in the prod profile and binds quarkus.management.port, which
            // the test side does not learn (it only learns the API's port)
            int port = ConfigProvider.getConfig().getValue("quarkus.management.port", Integer.class);
            root = URI.create(root.getScheme() + "://" + root.getHost() + ":" + port + root.getPath());
        }
        return root + path;
    }
}
