package org.acme.users.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import org.acme.users.consistency.ReadRoute;
import org.acme.users.consistency.ReadRouter;
import org.acme.users.consistency.ReadYourWrites;
import org.acme.users.consistency.ReplicaStatus;
import org.acme.users.consistency.RequestConsistency;
import org.acme.users.service.DatabaseNodes;
import org.acme.users.config.UsersConfig;

/** Which node answered, and which database nodes it reaches: watch routing and failover with curl. */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public class InfoResource {

    public record Host(String hostname, String instance) {
    }

    public record Now(Instant utc) {
    }

    public record Db(String instance, DatabaseNodes.Node read, DatabaseNodes.Node write, Replica replica, Route route) {
    }

    /**
     * The logical replica as this instance measures it: the age of its newest data (null while unknown), the
     * primary's position of the last transaction it applied, whether its subscription is enabled.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Replica(String node, Double lagSeconds, double maxStalenessSeconds, String appliedPosition,
            Boolean subscriptionEnabled, String detail) {
    }

    /** Where a read of this request (with its Consistency-Token, if any) goes now, and why. */
    public record Route(String target, String reason) {
    }


    @Inject
    DatabaseNodes nodes;

    @Inject
    ReplicaStatus replica;

    @Inject
    ReadRouter router;

    @Inject
    RequestConsistency request;

    @Inject
    UsersConfig config;

    @GET
    @Path("host")
    public Host host() {
        return new Host(hostname(), config.instanceName());
    }

    @GET
    @Path("date")
    public Now date() {
        return new Now(Instant.now());
    }

    @GET
    @Path("db")
    @ReadYourWrites
    public Db db() {
        ReadRoute route = router.route(request.token(), request);
        request.routed(route);
        ReplicaStatus.Sample sample = replica.latest();
        long lag = sample.lagMillis();
        Replica measured = new Replica(sample.replica() ? sample.node() : null, lag < 0 ? null : lag / 1000.0,
                config.read().maxStaleness().toMillis() / 1000.0,
                sample.applied() == null ? null : sample.applied().toString(), sample.subscriptionEnabled(),
                replica.fresh() ? null : replica.why(sample));
        return new Db(config.instanceName(), nodes.read(), nodes.write(), measured, new Route(route.target(), route.reason().label));
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return System.getenv().getOrDefault("HOSTNAME", "unknown");
        }
    }
}
