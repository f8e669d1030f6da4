package org.acme.users.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * Every setting of the service's own (prefix {@code users}); application.properties maps each to its environment
 * variable (USERS_*), and docs/operations.md lists them.
 */
@ConfigMapping(prefix = "users")
public interface UsersConfig {

    /** Name in /host, /db and the X-Served-By header. */
    String instanceName();

    /** Absolute URLs (Location) start with this when set; otherwise with the request's host, if allowed. */
    Optional<String> publicBaseUrl();

    /** Host names (and host:port) a request may name for its absolute URLs, separated by blanks or commas. */
    @WithDefault("localhost 127.0.0.1")
    String allowedHosts();

    /** The subscription on the replica and the publication on the primary (postgres/sql). */
    @WithDefault("users_sub")
    String subscription();

    @WithDefault("users_pub")
    String publication();

    Limits limits();

    Read read();

    Chat chat();

    Migration migration();

    /** What this instance checks at start: the connections every instance may hold fit the database nodes. */
    Budget budget();

    interface Limits {
        /** Request bodies, in bytes. */
        @WithDefault("65536")
        long maxBodySize();
    }

    /** How fresh reads from the logical replica must be (docs/architecture.md, "Read consistency"). */
    interface Read {
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

        /**
         * The driver of the hot reads (GET /users/{id}, GET /users): the reactive client on the event loop, or JDBC on a
         * worker thread (kept for the benchmark's comparison). The same routing rules either way (FreshReads).
         */
        @WithDefault("reactive")
        ReadDriver driver();

        /** Connections of each reactive pool (read, read-primary) of one instance; counted in the connection budget. */
        @WithDefault("3")
        int reactivePoolSize();
    }

    enum ReadDriver {
        REACTIVE, JDBC
    }

    interface Chat {
        /** Idle sockets are pinged this often (under nginx's read timeout for /chat/). */
        @WithDefault("30s")
        Duration pingInterval();

        /** Frames queued for one client; a client this far behind is closed and catches up when it reconnects. */
        @WithDefault("10000")
        int outboxLimit();
    }

    interface Migration {
        /** Only the instance started with USERS_MIGRATE=true migrates. */
        @WithDefault("false")
        boolean enabled();

        /** The one-shot migrator: exit (0) once the migrations are applied. */
        @WithDefault("false")
        boolean exitWhenDone();
    }

    /**
     * The connection budget (docs/operations.md, "Connection budget"; {@link ConnectionBudget}). The pool sizes are the
     * datasources' own settings; these say how many instances hold pools like them and what each node can give them.
     * No default here: application.properties maps each to its USERS_BUDGET_* variable, with infra/balance/budget.env's
     * value as default.
     */
    interface Budget {
        /** Instances holding connections at the same time, nginx's backup included (USERS_BUDGET_INSTANCES). */
        int instances();

        /** The primary's members: whichever leads takes every instance's write and read-primary pools. */
        Node primary();

        /** The logical replica. */
        Node replica();
    }

    interface Node {
        /** The node's max_connections (USERS_BUDGET_PRIMARY_MAX_CONNECTIONS, USERS_BUDGET_REPLICA_MAX_CONNECTIONS). */
        int maxConnections();

        /**
         * Slots the instances must leave free: superuser_reserved_connections, Patroni, monitoring, the migrator, psql
         * (USERS_BUDGET_PRIMARY_RESERVED, USERS_BUDGET_REPLICA_RESERVED).
         */
        int reserved();
    }
}
