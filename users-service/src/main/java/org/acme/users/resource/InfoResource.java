package org.acme.users.resource;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import org.acme.users.service.DatabaseNodes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Which node answered, and which database nodes it reaches: watch routing and failover with curl. */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public class InfoResource {

    public record Host(String hostname, String instance) {
    }

    public record Now(Instant utc) {
    }

    public record Db(String instance, DatabaseNodes.Node read, DatabaseNodes.Node write) {
    }

    @ConfigProperty(name = "users.instance-name")
    String instance;

    @Inject
    DatabaseNodes nodes;

    @GET
    @Path("host")
    public Host host() {
        return new Host(hostname(), instance);
    }

    @GET
    @Path("date")
    public Now date() {
        return new Now(Instant.now());
    }

    @GET
    @Path("db")
    public Db db() {
        return new Db(instance, nodes.read(), nodes.write());
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return System.getenv().getOrDefault("HOSTNAME", "unknown");
        }
    }
}
