package org.acme.users.validation;

import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.ext.Provider;
import java.util.List;
import java.util.Map;
import org.acme.users.problem.InvalidInputException;

/**
 * What every request must look like before it is matched to a resource:
 * <ul>
 * <li>a query parameter at most once ({@code ?size=1&size=100}: JAX-RS takes the first, a proxy or a cache may take
 * the last, and the two would disagree about the request), and with a value ({@code ?size=} is not "the default");</li>
 * <li>a body says what it is: without a Content-Type it is not taken for JSON (415).</li>
 * </ul>
 */
@Provider
@PreMatching
public class RequestShape implements ContainerRequestFilter {

    @Override
    public void filter(ContainerRequestContext context) {
        for (Map.Entry<String, List<String>> parameter : context.getUriInfo().getQueryParameters().entrySet()) {
            String name = parameter.getKey().matches("[A-Za-z_][A-Za-z0-9_-]{0,63}") ? parameter.getKey() : "(query)";
            if (parameter.getValue().size() > 1) {
                throw new InvalidInputException(name, "must be given at most once");
            }
            if (parameter.getValue().get(0).isEmpty()) {
                throw new InvalidInputException(name, "must have a value");
            }
        }
        boolean body = context.getLength() > 0 || context.getHeaderString("Transfer-Encoding") != null;
        if (body && context.getHeaderString(HttpHeaders.CONTENT_TYPE) == null) {
            throw new NotSupportedException();
        }
    }
}
