package org.acme.users.chat;

import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.acme.users.consistency.ReadYourWrites;
import org.acme.users.problem.InvalidInputException;
import org.acme.users.resource.QueryParams;

/**
 * A room's history, oldest first, read like any other read (FreshReads): from the replica, or from the primary when
 * the replica is too stale or has not applied the token the client sends (every message frame carries one). A
 * client that reconnects to any instance asks for what came after the last id it has. The live room is the WebSocket at /chat/{room} (ChatSocket).
 */
@Path("/chat/{room}/messages")
@Produces(MediaType.APPLICATION_JSON)
public class ChatResource {

    @Inject
    ChatService chat;

    @GET
    @ReadYourWrites
    public List<ChatFrame.Message> history(@PathParam("room") String room, @QueryParam("after") @DefaultValue("0") String after,
            @QueryParam("limit") @DefaultValue("100") String limit) {
        if (!ChatService.ROOM.matcher(room).matches()) {
            throw new InvalidInputException("room", "must be 1 to 64 letters, digits, '-' or '_'");
        }
        long afterId = QueryParams.longParam("after", after, 0, Long.MAX_VALUE);
        int size = QueryParams.intParam("limit", limit, 1, ChatService.MAX_PAGE);
        return chat.history(room, afterId, size).stream().map(ChatFrame.Message::of).toList();
    }
}
