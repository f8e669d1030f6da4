package org.acme.users.consistency;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import org.acme.users.config.UsersConfig;

/**
 * The token as a cookie: short Max-Age, HttpOnly, SameSite=Lax, Path=/, and Secure when the client came over HTTPS
 * (to nginx: X-Forwarded-Proto). A bean, so the filters that use it (created at build time) read the settings late.
 */
@ApplicationScoped
public class TokenCookie {

    @Inject
    UsersConfig config;

    String set(ConsistencyToken token, ContainerRequestContext request) {
        return header(token.toString(), config.read().tokenMaxAge().toSeconds(), request);
    }

    String delete(ContainerRequestContext request) {
        return header("", 0, request);
    }

    private static String header(String value, long maxAgeSeconds, ContainerRequestContext request) {
        boolean secure = "https".equalsIgnoreCase(request.getUriInfo().getRequestUri().getScheme())
                || "https".equalsIgnoreCase(request.getHeaderString("X-Forwarded-Proto"));
        return ConsistencyToken.COOKIE + "=" + value + "; Max-Age=" + maxAgeSeconds + "; Path=/; HttpOnly; SameSite=Lax"
                + (secure ? "; Secure" : "");
    }
}
