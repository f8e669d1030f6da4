package org.acme.users.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.vertx.http.ManagementInterface;
import io.vertx.core.http.HttpMethod;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * The management interface (health, metrics, OpenAPI) is read-only: any other method is a 405 with Allow, not a
 * 200 from a handler that ignores the method.
 */
@ApplicationScoped
public class ManagementRoutes {

    @Inject
    ObjectMapper json;

    void routes(@Observes ManagementInterface management) {
        management.router().route().order(Integer.MIN_VALUE).handler(RequestIds::begin);
        management.router().route().order(Integer.MIN_VALUE + 1).handler(ctx -> {
            HttpMethod method = ctx.request().method();
            if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method)) {
                ctx.next();
                return;
            }
            ctx.response().putHeader("Allow", "GET, HEAD");
            RoutingProblems.send(ctx, json, 405, "about:blank", "Method Not Allowed",
                    "the management interface is read-only (see Allow)");
        });
    }
}
