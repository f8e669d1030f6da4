package org.acme.users.consistency;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.ext.Provider;
import java.util.List;

/**
 * Reads: the request's token, from the {@value ConsistencyToken#HEADER} header or the {@value ConsistencyToken#COOKIE}
 * cookie (the newer of the two when both come). A malformed one, or two headers, is a 400 problem.
 */
@Provider
@ReadYourWrites
public class TokenReader implements ContainerRequestFilter {

    @Inject
    RequestConsistency request;

    @Override
    public void filter(ContainerRequestContext context) {
        List<String> headers = context.getHeaders().get(ConsistencyToken.HEADER);
        Cookie cookie = context.getCookies().get(ConsistencyToken.COOKIE);
        ConsistencyToken fromHeader = null;
        ConsistencyToken fromCookie = null;
        if (headers != null && !headers.isEmpty()) {
            if (headers.size() > 1 || !ConsistencyToken.wellFormed(headers.get(0))) {
                throw new InvalidConsistencyTokenException(false);
            }
            fromHeader = ConsistencyToken.parse(headers.get(0));
        }
        if (cookie != null) {
            if (!ConsistencyToken.wellFormed(cookie.getValue())) {
                throw new InvalidConsistencyTokenException(true);
            }
            fromCookie = ConsistencyToken.parse(cookie.getValue());
        }
        if (fromHeader != null && (fromCookie == null || fromHeader.covers(fromCookie))) {
            request.present(fromHeader, false);
        } else if (fromCookie != null) {
            request.present(fromCookie, true);
        }
    }
}
