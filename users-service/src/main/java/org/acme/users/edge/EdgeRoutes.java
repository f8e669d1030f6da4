package org.acme.users.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.acme.users.config.UsersConfig;
import org.jboss.logging.Logger;

/**
 * The public router's own answers, so that what never reaches a JAX-RS resource is a problem too: a body declared
 * too large (Quarkus' own 413 has no body), a path nothing serves, and the failures of non-JAX-RS handlers. Before
 * all of them, every request gets its id (RequestIds).
 */
@ApplicationScoped
public class EdgeRoutes {

    private static final Logger LOG = Logger.getLogger(EdgeRoutes.class);
    /** Before Quarkus' upload limit (RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT, -2). */
    private static final int BEFORE_UPLOAD_LIMIT = -3;
    /** After every route of the application (RouteConstants.ROUTE_ORDER_AFTER_DEFAULT, 20,000). */
    private static final int AFTER_EVERYTHING = 100_000;

    @Inject
    ObjectMapper json;

    @Inject
    ChatPage chatPage;

    @Inject
    UsersConfig config;

    void routes(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(RequestIds::begin);
        router.route().order(BEFORE_UPLOAD_LIMIT).handler(ctx -> {
            String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
            // Netty has checked it is a number already
            if (length != null && Long.parseLong(length) > config.limits().maxBodySize()) {
                ctx.response().putHeader(HttpHeaders.CONNECTION, "close"); // the body is not read: do not parse it as a request
                RoutingProblems.send(ctx, json, 413, "too-large", "Content Too Large",
                        "the request body is over " + config.limits().maxBodySize() / 1024 + " KiB");
                return;
            }
            ctx.next();
        });
        router.get("/chat.html").order(BEFORE_UPLOAD_LIMIT).handler(chatPage::headers);
        router.route().order(AFTER_EVERYTHING).handler(ctx ->
                RoutingProblems.send(ctx, json, 404, "about:blank", "Not Found", "no resource at this path"));
        router.route().order(Integer.MIN_VALUE).failureHandler(ctx -> {
            int status = ctx.statusCode();
            if (status < 400 || status >= 500) {
                LOG.error("unexpected failure on " + ctx.request().path(), ctx.failure());
                RoutingProblems.send(ctx, json, 500, "about:blank", "Internal Server Error", "unexpected error");
            } else {
                RoutingProblems.send(ctx, json, status, "about:blank", HttpResponseStatus.valueOf(status).reasonPhrase(),
                        "the request cannot be served");
            }
        });
    }
}
