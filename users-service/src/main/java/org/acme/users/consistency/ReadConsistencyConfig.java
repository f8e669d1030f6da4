package org.acme.users.consistency;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** How fresh reads from the logical replica must be (application.properties, "Read consistency"). */
@ConfigMapping(prefix = "users.read")
public interface ReadConsistencyConfig {

    /** A replica whose data is older than this serves no reads while the primary can serve them. */
    @WithDefault("1s")
    Duration maxStaleness();

    /** How long a read with a token waits for the replica to reach it before it reads from the primary. */
    @WithDefault("50ms")
    Duration tokenWait();

    /** How often each instance writes its heartbeat on the primary and reads it back on the replica. */
    @WithDefault("200ms")
    Duration heartbeatInterval();

    /** Max-Age of the token cookie. */
    @WithDefault("300s")
    Duration tokenMaxAge();

    /** The subscription on the replica and the publication on the primary (postgres/sql). */
    @WithDefault("users_sub")
    String subscription();

    @WithDefault("users_pub")
    String publication();
}
