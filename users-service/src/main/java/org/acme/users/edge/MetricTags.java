package org.acme.users.edge;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Set;

/**
 * HTTP metrics are labelled by route template and standard method, never by what a client typed: an arbitrary path or
 * method name as a label value makes one time series per request (unbounded memory in the instance and in Prometheus).
 * A path is labelled with the template of the route it matches (ResourceMethods), or OTHER; a method outside the
 * standard ones, OTHER.
 */
public class MetricTags {

    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH");
    /** Quarkus' own labels for requests no route matched, and the static page. */
    static final Set<String> FIXED_URIS = Set.of("NOT_FOUND", "REDIRECTION", "UNKNOWN", "root", "/chat.html");
    static final String OTHER = "OTHER";

    @Produces
    @Singleton
    MeterFilter boundedHttpTags(ResourceMethods routes) {
        return new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                if (!id.getName().startsWith("http.server")) {
                    return id;
                }
                // no server.port: Quarkus adds it only for a fixed port, so with the management interface on one port
                // and the API on a random one (tests) a meter would get two sets of tag keys, which Prometheus refuses
                // at registration: the server then fails to start
                return id.replaceTags(id.getTags().stream().filter(tag -> !tag.getKey().equals("server.port"))
                        .map(tag -> bounded(tag, routes)).toList());
            }
        };
    }

    static Tag bounded(Tag tag, ResourceMethods routes) {
        return switch (tag.getKey()) {
            case "method" -> METHODS.contains(tag.getValue()) ? tag : Tag.of("method", OTHER);
            case "uri" -> FIXED_URIS.contains(tag.getValue()) ? tag
                    : Tag.of("uri", routes.template(tag.getValue()).orElse(OTHER));
            default -> tag;
        };
    }
}
