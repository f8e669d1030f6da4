package org.acme.users.edge;

import java.util.Map;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.headers.Header;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;

/**
 * The OpenAPI document says what every operation takes and answers that no resource method declares: X-Request-Id
 * (RequestIds), and the problem body with its requestId (the mappers answer a Response, which the scanner cannot see
 * into). Registered as mp.openapi.filter (application.properties).
 */
public class RequestIdOpenApi implements OASFilter {

    private static final String PATTERN = "^" + RequestIds.WELL_FORMED.pattern() + "$";
    private static final String PROBLEM = "Problem";

    @Override
    public Operation filterOperation(Operation operation) {
        boolean declared = operation.getParameters() != null && operation.getParameters().stream()
                .anyMatch(p -> RequestIds.HEADER.equalsIgnoreCase(p.getName()));
        if (!declared) {
            operation.addParameter(OASFactory.createParameter().name(RequestIds.HEADER).in(Parameter.In.HEADER)
                    .required(false).schema(idSchema())
                    .description("the request's id: kept when 1 to 64 of [A-Za-z0-9._:-], else replaced by a fresh one"));
        }
        if (operation.getResponses() != null && operation.getResponses().getAPIResponses() != null) {
            for (APIResponse response : operation.getResponses().getAPIResponses().values()) {
                response.addHeader(RequestIds.HEADER, OASFactory.createHeader().schema(idSchema())
                        .description("the request's id: the one sent when well-formed, else a fresh one"));
            }
        }
        return operation;
    }

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        Components components = openAPI.getComponents();
        if (components == null) {
            components = OASFactory.createComponents();
            openAPI.setComponents(components);
        }
        if (components.getSchemas() == null || !components.getSchemas().containsKey(PROBLEM)) {
            components.addSchema(PROBLEM, problem());
        }
    }

    private static Schema idSchema() {
        return OASFactory.createSchema().addType(Schema.SchemaType.STRING).pattern(PATTERN);
    }

    /** What application/problem+json bodies hold (org.acme.users.problem.Problem). */
    private static Schema problem() {
        Schema fieldError = OASFactory.createSchema().addType(Schema.SchemaType.OBJECT)
                .properties(Map.of("field", string(), "message", string()));
        return OASFactory.createSchema().addType(Schema.SchemaType.OBJECT)
                .description("RFC 9457 problem details (application/problem+json), on every error answer")
                .addProperty("type", string()).addProperty("title", string())
                .addProperty("status", OASFactory.createSchema().addType(Schema.SchemaType.INTEGER))
                .addProperty("detail", string()).addProperty("instance", string())
                .addProperty("requestId", idSchema().description(
                        "the request's id, as in its X-Request-Id answer header and the logs of nginx and the instance"))
                .addProperty("errors", OASFactory.createSchema().addType(Schema.SchemaType.ARRAY).items(fieldError));
    }

    private static Schema string() {
        return OASFactory.createSchema().addType(Schema.SchemaType.STRING);
    }
}
