package org.acme.users.config;

import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * One Vert.x event loop per core, where Quarkus' default is two: the service does no blocking work on its event loops
 * (the hot reads are reactive, everything else runs on worker threads), so a second loop per core only adds threads
 * that take turns on the same cores. Measured on 2 cores, one instance straight through HAProxy, 2 and 4 event loops
 * side by side with the load on each by turns: 2 loops answered more in each of 5 rounds, by 30 % in the median, at
 * less CPU a request (docs/operations.md, "The event loops"). Below application.properties and the environment:
 * {@code QUARKUS_VERTX_EVENT_LOOPS_POOL_SIZE} still sets any other count.
 */
public class EventLoopPerCore implements ConfigSource {

    static final String EVENT_LOOPS = "quarkus.vertx.event-loops-pool-size";
    /** Under application.properties (250) and the environment (300); over Quarkus' own default. */
    static final int ORDINAL = 50;

    private final Map<String, String> values = Map.of(EVENT_LOOPS,
            Integer.toString(Runtime.getRuntime().availableProcessors()));

    @Override
    public Set<String> getPropertyNames() {
        return values.keySet();
    }

    @Override
    public String getValue(String propertyName) {
        return values.get(propertyName);
    }

    @Override
    public String getName() {
        return "one event loop per core (" + getClass().getName() + ")";
    }

    @Override
    public int getOrdinal() {
        return ORDINAL;
    }
}
