package org.acme.users.problem;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.List;

/**
 * RFC 9457 problem details, with field-level errors for invalid input, and the request's id (its X-Request-Id: the
 * line to grep in the logs). Registered for reflection: the mappers return it inside a Response, where Quarkus REST
 * cannot see the type (a native image could not serialize it), nor can the OpenAPI scanner (RequestIdOpenApi).
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@RegisterForReflection
public record Problem(String type, String title, int status, String detail, String instance, String requestId,
        List<FieldError> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";

    @RegisterForReflection
    public record FieldError(String field, String message) {
    }
}
