package org.acme.users.edge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import org.acme.users.problem.Problem;
import org.acme.users.problem.ProblemMappers;

/** Problem responses for what the HTTP layer refuses before (or without) a JAX-RS resource. */
final class RoutingProblems {

    private RoutingProblems() {
    }

    static void send(RoutingContext ctx, ObjectMapper json, int status, String type, String title, String detail) {
        if (ctx.response().headWritten()) {
            ctx.response().close(); // too late for a body: the client sees the connection end
            return;
        }
        Problem problem = new Problem(type.startsWith("about:") ? type : "urn:problem:users:" + type, title, status, detail,
                ProblemMappers.instance(ctx.request().path()), RequestIds.of(ctx), List.of());
        String body;
        try {
            body = json.writeValueAsString(problem);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // a record of strings always serializes
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", Problem.MEDIA_TYPE).end(body);
    }
}
