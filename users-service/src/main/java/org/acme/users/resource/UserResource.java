package org.acme.users.resource;

import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import org.acme.users.consistency.IssuesConsistencyToken;
import org.acme.users.consistency.ReadYourWrites;
import org.acme.users.edge.PublicUrls;
import org.acme.users.entity.User;
import org.acme.users.problem.UserNotFoundException;
import org.acme.users.service.UserService;
import org.acme.users.validation.IdempotencyKeys;

@Path("/users")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class UserResource {

    static final int MAX_PAGE_SIZE = 100;
    // ids are bigint; a longer number can only be a missing user
    private static final String ID = "{id: [0-9]{1,18}}";

    @Inject
    UserService service;

    @Inject
    PublicUrls urls;

    @GET
    @ReadYourWrites
    public Uni<UserPage> list(@QueryParam("page") @DefaultValue("0") String page,
            @QueryParam("size") @DefaultValue("20") String size) {
        int pageNumber = QueryParams.intParam("page", page, 0, 1_000_000);
        int pageSize = QueryParams.intParam("size", size, 1, MAX_PAGE_SIZE);
        return service.page(pageNumber, pageSize).map(found -> new UserPage(
                found.items().stream().map(UserResponse::of).toList(), pageNumber, pageSize, found.total()));
    }

    /** The hot read: answered on the event loop that took the request (users.read.driver=reactive, the default). */
    @GET
    @Path(ID)
    @ReadYourWrites
    public Uni<UserResponse> get(@PathParam("id") long id) {
        return service.find(id).map(found -> UserResponse.of(found.orElseThrow(() -> new UserNotFoundException(id))));
    }

    /**
     * With an {@code Idempotency-Key} header the create happens at most once per key: sending the same request
     * again returns the same user (201, {@code Idempotent-Replayed: true}); nginx may then resend it to another
     * instance when one fails mid-request.
     */
    @POST
    @IssuesConsistencyToken
    public Response create(@NotNull @Valid UserRequest request, HttpHeaders headers) {
        // every value of the header: an empty or a second one is refused, not taken for "no key"
        Optional<String> idempotencyKey = IdempotencyKeys.from(headers.getRequestHeader(IdempotencyKeys.HEADER));
        User user;
        boolean replayed = false;
        if (idempotencyKey.isEmpty()) {
            user = service.create(request.name(), request.email());
        } else {
            UserService.Created created = service.createOnce(idempotencyKey.get(), request.name(), request.email());
            user = created.user();
            replayed = created.replayed();
        }
        // set as a header, not with created(): JAX-RS would make a relative URI absolute from the request's Host
        Response.ResponseBuilder response = Response.status(Response.Status.CREATED)
                .header(HttpHeaders.LOCATION, urls.to("/users/" + user.id, headers))
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
