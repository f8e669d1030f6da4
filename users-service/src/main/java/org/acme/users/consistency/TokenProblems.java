package org.acme.users.consistency;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import org.acme.users.problem.Problem;
import org.acme.users.problem.ProblemMappers;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * A malformed token: a 400 problem; one from the cookie is deleted, or every later request would fail the same way.
 * A token that cannot be honoured now (the replica is behind it, the primary gone): 503 with Retry-After.
 */
public class TokenProblems {

    static final String RETRY_AFTER_SECONDS = "2";

    @Inject
    TokenCookie cookie;

    @ServerExceptionMapper
    public Response invalidToken(InvalidConsistencyTokenException e, UriInfo uri, ContainerRequestContext request) {
        Response problem = ProblemMappers.problem(400, "invalid-consistency-token", "Invalid request", e.getMessage(), uri,
                List.of(new Problem.FieldError(ConsistencyToken.HEADER, "not a WAL position")));
        return e.fromCookie
                ? Response.fromResponse(problem).header(HttpHeaders.SET_COOKIE, cookie.delete(request)).build()
                : problem;
    }

    @ServerExceptionMapper
    public Response notReached(TokenNotReachedException e, UriInfo uri) {
        return Response.fromResponse(ProblemMappers.problem(503, "token-not-reached", "Service Unavailable", e.getMessage(),
                uri, List.of())).header("Retry-After", RETRY_AFTER_SECONDS).build();
    }
}
