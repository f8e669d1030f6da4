package org.acme.users.resource;

import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.regex.Pattern;
import org.acme.users.consistency.IssuesConsistencyToken;
import org.acme.users.consistency.ReadYourWrites;
import org.acme.users.entity.User;
import org.acme.users.problem.InvalidInputException;
import org.acme.users.problem.UserNotFoundException;
import org.acme.users.service.UserService;

@Path("/users")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class UserResource {

    static final int MAX_PAGE_SIZE = 100;
    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    private static final Pattern VALID_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
    // ids are bigint; a longer number can only be a missing user
    private static final String ID = "{id: [0-9]{1,18}}";

    @Inject
    UserService service;

    @GET
    @ReadYourWrites
    public UserPage list(@QueryParam("page") @DefaultValue("0") String page,
            @QueryParam("size") @DefaultValue("20") String size) {
        int pageNumber = QueryParams.intParam("page", page, 0, 1_000_000);
        int pageSize = QueryParams.intParam("size", size, 1, MAX_PAGE_SIZE);
        UserService.Page found = service.page(pageNumber, pageSize);
        return new UserPage(found.items().stream().map(UserResponse::of).toList(), pageNumber, pageSize, found.total());
    }

    @GET
    @Path(ID)
    @ReadYourWrites
    public UserResponse get(@PathParam("id") long id) {
        return UserResponse.of(service.find(id).orElseThrow(() -> new UserNotFoundException(id)));
    }

    /**
     * With an {@code Idempotency-Key} header the create happens at most once per key: sending the same request
     * again returns the same user (201, {@code Idempotent-Replayed: true}); nginx may then resend it to another
     * instance when one fails mid-request.
     */
    @POST
    @IssuesConsistencyToken
    public Response create(@NotNull @Valid UserRequest request, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
            UriInfo uri) {
        User user;
        boolean replayed = false;
        if (idempotencyKey == null) {
            user = service.create(request.name(), request.email());
        } else {
            if (!VALID_KEY.matcher(idempotencyKey).matches()) {
                throw new InvalidInputException(IDEMPOTENCY_KEY, "must be 1 to 255 visible ASCII characters");
            }
            UserService.Created created = service.createOnce(idempotencyKey, request.name(), request.email());
            user = created.user();
            replayed = created.replayed();
        }
        Response.ResponseBuilder response = Response.created(uri.getAbsolutePathBuilder().path(String.valueOf(user.id)).build())
                .entity(UserResponse.of(user));
        return replayed ? response.header("Idempotent-Replayed", "true").build() : response.build();
    }

    @PUT
    @Path(ID)
    @IssuesConsistencyToken
    public UserResponse update(@PathParam("id") long id, @NotNull @Valid UserRequest request) {
        return UserResponse.of(service.update(id, request.name(), request.email())
                .orElseThrow(() -> new UserNotFoundException(id)));
    }

    @DELETE
    @Path(ID)
    @IssuesConsistencyToken
    public Response delete(@PathParam("id") long id) {
        if (!service.delete(id)) {
            throw new UserNotFoundException(id);
        }
        return Response.noContent().build();
    }
}
