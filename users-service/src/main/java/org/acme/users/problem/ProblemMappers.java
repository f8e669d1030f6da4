package org.acme.users.problem;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.quarkus.hibernate.validator.runtime.jaxrs.ResteasyReactiveViolationException;
import jakarta.inject.Inject;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Path;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.acme.users.edge.RequestIds;
import org.acme.users.edge.ResourceMethods;
import org.acme.users.service.DatabaseNodes;
import org.acme.users.validation.InvalidBodyException;
import org.acme.users.validation.StrictJson;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every error leaves as application/problem+json with the right status. A problem never repeats what the client sent
 * (no raw path, field name or value): only names that match {@link #SAFE_NAME} and paths that match
 * {@link #SAFE_PATH}, so a problem cannot carry markup or a forged JSON structure back to whoever displays it.
 */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @Inject
    DatabaseNodes nodes;

    @Inject
    ResourceMethods resources;

    static final String RETRY_AFTER_SECONDS = "2";
    static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]{0,63}");
    static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9._~/-]{0,200}");

    // Declared for Quarkus' own subtype too, or its built-in (non-problem) mapper would win.
    @ServerExceptionMapper({ConstraintViolationException.class, ResteasyReactiveViolationException.class})
    public Response validation(ConstraintViolationException e, UriInfo uri) {
        List<Problem.FieldError> errors = e.getConstraintViolations().stream()
                .map(v -> new Problem.FieldError(field(v), v.getMessage()))
                .sorted(Comparator.comparing(Problem.FieldError::field).thenComparing(Problem.FieldError::message))
                .toList();
        return problem(400, "invalid-request", "Invalid request",
                errors.stream().map(f -> f.field() + ": " + f.message()).collect(Collectors.joining("; ")), uri, errors);
    }

    @ServerExceptionMapper
    public Response invalidInput(InvalidInputException e, UriInfo uri) {
        return problem(400, "invalid-request", "Invalid request", e.getMessage(), uri, e.errors);
    }

    @ServerExceptionMapper
    public Response unknownField(UnrecognizedPropertyException e, UriInfo uri) {
        String field = jsonPath(e);
        return problem(400, "invalid-request", "Invalid request", "unknown field: " + field, uri,
                List.of(new Problem.FieldError(field, "unknown field")));
    }

    /** A body refused before parsing: not UTF-8, raw control bytes, too large, another charset. */
    @ServerExceptionMapper
    public Response invalidBody(InvalidBodyException e, UriInfo uri) {
        return problem(e.status, e.type, e.title, e.getMessage(), uri, List.of());
    }

    // MismatchedInputException named too: quarkus-rest-jackson maps it by itself otherwise.
    @ServerExceptionMapper({JsonProcessingException.class, MismatchedInputException.class})
    public Response badJson(JsonProcessingException e, UriInfo uri) {
        if (e instanceof StrictJson.UnpairedSurrogate surrogate && !surrogate.getPath().isEmpty()) {
            String field = jsonPath(surrogate);
            String message = "must be valid Unicode (an escaped unpaired surrogate is no character)";
            return problem(400, "invalid-request", "Invalid request", field + ": " + message, uri,
                    List.of(new Problem.FieldError(field, message)));
        }
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            String field = jsonPath(mapping);
            return problem(400, "invalid-request", "Invalid request", field + ": wrong type or format", uri,
                    List.of(new Problem.FieldError(field, "wrong type or format")));
        }
        return problem(400, "malformed-json", "Malformed JSON", malformed(e), uri, List.of());
    }

    @ServerExceptionMapper
    public Response notFound(UserNotFoundException e, UriInfo uri) {
        return problem(404, "not-found", "Not found", e.getMessage(), uri, List.of());
    }

    @ServerExceptionMapper
    public Response idempotencyKeyReused(IdempotencyKeyReusedException e, UriInfo uri) {
        // the key itself is not repeated: it is the client's input
        return problem(422, "idempotency-key-reused", "Unprocessable Content",
                "this Idempotency-Key was already used for a different request", uri,
                List.of(new Problem.FieldError("Idempotency-Key", "already used for a different request")));
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e, UriInfo uri) {
        if (e.getCause() instanceof JsonProcessingException json) {
            return badJson(json, uri); // a truncated body arrives wrapped in a plain 400
        }
        int status = e.getResponse().getStatus();
        Response.Status known = Response.Status.fromStatusCode(status);
        String title = known != null ? known.getReasonPhrase() : "HTTP " + status;
        Response problem = problem(status, "about:blank", title, detail(status), uri, List.of());
        if (status != 405) {
            return problem;
        }
        // a 405 says what is allowed (RFC 9110 15.5.6); Quarkus REST's own exception does not
        return Response.fromResponse(problem).header("Allow", String.join(", ", resources.allowed(uri.getPath()))).build();
    }

    /**
     * Database errors: a duplicate email is the client's 409; an unreachable node is a 503 to retry; a transaction
     * that lost a race twice (RetryIfNotCommitted ran it again once) is a 409 write-conflict: nothing was written, and the
     * same request may be sent again. Races are never a 5xx: the service is up, the data is contested.
     */
    @ServerExceptionMapper
    public Response failure(Exception e, UriInfo uri) {
        SQLException sql = cause(e, SQLException.class);
        if (DatabaseFailures.duplicate(e)) {
            String detail = String.valueOf(sql != null ? sql.getMessage() : e.getMessage()).contains("email")
                    ? "a user with this email already exists" : "the resource already exists";
            return problem(409, "conflict", "Conflict", detail, uri, List.of(new Problem.FieldError("email", detail)));
        }
        if (DatabaseFailures.invalidData(e)) {
            // validation should have refused it first; the database is the last line, and still the client's fault
            LOG.warnf("the database refused a value on %s: SQLState %s", uri.getPath(), DatabaseFailures.sqlState(e));
            return problem(400, "invalid-request", "Invalid request", "a value cannot be stored", uri, List.of());
        }
        if (DatabaseFailures.unavailable(e)) {
            LOG.warnf("database unavailable for %s: %s", uri.getPath(), rootMessage(e));
            boolean busy = DatabaseFailures.poolExhausted(e);
            if (!busy) {
                nodes.dropIdleConnections(); // so the request after this one does not meet another dead connection
            }
            return Response.fromResponse(problem(503, "database-unavailable", "Service Unavailable",
                    busy ? "every database connection for this request is busy; retry later"
                            : "the database node for this request is unreachable; retry later", uri, List.of()))
                    .header("Retry-After", RETRY_AFTER_SECONDS).build();
        }
        if (DatabaseFailures.concurrent(e)) {
            LOG.warnf("write conflict on %s, after a retry: %s", uri.getPath(), DatabaseFailures.describe(e));
            return problem(409, "write-conflict", "Conflict",
                    "the request met concurrent writes to the same data and was not applied; send it again", uri, List.of());
        }
        LOG.error("unexpected failure on " + uri.getPath(), e);
        return problem(500, "about:blank", "Internal Server Error", "unexpected error", uri, List.of());
    }



    private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    private static String field(ConstraintViolation<?> v) {
        String last = null;
        for (Path.Node node : v.getPropertyPath()) {
            last = node.getName();
        }
        return last;
    }

    /** The field a mapping error is about, as the client named it: only when it is a plain name. */
    private static String jsonPath(JsonMappingException e) {
        String path = e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
        return SAFE_NAME.matcher(path).matches() ? path : "(not shown)";
    }

    /** Why a body is not JSON the service reads, without quoting it. */
    private static String malformed(JsonProcessingException e) {
        String message = String.valueOf(e.getOriginalMessage());
        if (message.startsWith("Duplicate field")) {
            return "a key appears more than once in an object";
        }
        if (message.startsWith("Trailing token")) {
            return "nothing may follow the JSON value";
        }
        return "the request body is not valid JSON";
    }

    private static String detail(int status) {
        return switch (status) {
            case 404 -> "no resource at this path";
            case 405 -> "this method is not allowed on this resource (see Allow)";
            case 406 -> "the service answers with JSON only";
            case 415 -> "the body must be application/json";
            default -> "the request cannot be served";
        };
    }

    public static Response problem(int status, String type, String title, String detail, UriInfo uri,
            List<Problem.FieldError> errors) {
        String typeUri = type.startsWith("about:") ? type : "urn:problem:users:" + type;
        return Response.status(status).type(Problem.MEDIA_TYPE)
                .entity(new Problem(typeUri, title, status, detail, instance(uri.getPath()), RequestIds.current(), errors))
                .build();
    }

    /** The request path as the problem's instance, when it is a plain path; otherwise none (it would echo input). */
    public static String instance(String path) {
        return path != null && SAFE_PATH.matcher(path).matches() ? path : null;
    }
}
