package org.acme.users.consistency;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;

/**
 * Writes: a successful answer carries a new token, the primary's position read after the commit, as the
 * {@value ConsistencyToken#HEADER} header and the {@value ConsistencyToken#COOKIE} cookie.
 */
@Provider
@IssuesConsistencyToken
public class TokenIssuer implements ContainerResponseFilter {

    @Inject
    PrimaryWal primary;

    @Inject
    TokenCookie cookie;

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        if (response.getStatusInfo().getFamily() != Response.Status.Family.SUCCESSFUL) {
            return;
        }
        ConsistencyToken token = primary.afterCommit();
        response.getHeaders().putSingle(ConsistencyToken.HEADER, token.toString());
        response.getHeaders().add(HttpHeaders.SET_COOKIE, cookie.set(token, request));
    }
}
