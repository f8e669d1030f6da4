package org.acme.users.consistency;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.ext.Provider;

/**
 * Reads: the answer says where the read went, {@code X-Read-Route: replica|primary; reason=…}; a token cookie beyond
 * anything the primary has written (forged, or from a cluster since replaced) is deleted.
 */
@Provider
@ReadYourWrites
public class RouteReporter implements ContainerResponseFilter {

    public static final String READ_ROUTE = "X-Read-Route";

    @Inject
    RequestConsistency request;

    @Inject
    TokenCookie cookie;

    @Override
    public void filter(ContainerRequestContext requestContext, ContainerResponseContext response) {
        request.route().ifPresent(route -> response.getHeaders().putSingle(READ_ROUTE, route.toString()));
        if (request.tokenIgnored() && request.tokenFromCookie()) {
            response.getHeaders().add(HttpHeaders.SET_COOKIE, cookie.delete(requestContext));
        }
    }
}
