package org.acme.users.consistency;

import jakarta.ws.rs.container.ContainerRequestContext;

/**
 * The token as a cookie: short Max-Age, HttpOnly, SameSite=Lax, Path=/, and Secure when the client came over HTTPS
 * (to nginx: X-Forwarded-Proto).
 */
final class TokenCookie {

    private TokenCookie() {
    }

    static String set(ConsistencyToken token, long maxAgeSeconds, ContainerRequestContext request) {
        return header(token.toString(), maxAgeSeconds, request);
    }

    static String delete(ContainerRequestContext request) {
        return header("", 0, request);
    }

    private static String header(String value, long maxAgeSeconds, ContainerRequestContext request) {
        boolean secure = "https".equalsIgnoreCase(request.getUriInfo().getRequestUri().getScheme())
                || "https".equalsIgnoreCase(request.getHeaderString("X-Forwarded-Proto"));
        return ConsistencyToken.COOKIE + "=" + value + "; Max-Age=" + maxAgeSeconds + "; Path=/; HttpOnly; SameSite=Lax"
                + (secure ? "; Secure" : "");
    }
}
