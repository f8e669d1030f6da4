package org.acme.users;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Two throwaway PostgreSQL clusters with real logical replication, built by the same script and SQL
 * as every other way of running the stack (postgres/pg-node.sh). No Docker, no Dev Services.
 */
public class PostgresPair implements QuarkusTestResourceLifecycleManager {

    public static final String PRIMARY = "service-db";
    public static final String REPLICA = "service-db-replica";

    /** The running pair, for tests that stop, kill or query nodes. */
    static PostgresPair current;

    private final Path script = Path.of(System.getProperty("balance.postgres", "../postgres"), "pg-node.sh")
            .toAbsolutePath().normalize();
    private final Map<String, String> env = new HashMap<>();
    private Path base;
    int primaryPort;
    int replicaPort;

    @Override
    public Map<String, String> start() {
        try {
            base = Files.createTempDirectory("users-pg-");
            // the postgres account (when we run as root) must reach the data directories
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
            primaryPort = freePort();
            replicaPort = freePort();
            for (String secret : List.of("PG_SUPERUSER_PASSWORD", "USERS_OWNER_PASSWORD", "USERS_WRITER_PASSWORD",
                    "USERS_READER_PASSWORD", "USERS_REPLICATOR_PASSWORD")) {
                env.put(secret, randomSecret());
            }
            env.put("USERS_PRIMARY_PORTS", String.valueOf(primaryPort));
            run("init", dir(PRIMARY), String.valueOf(primaryPort), PRIMARY);
            run("init", dir(REPLICA), String.valueOf(replicaPort), REPLICA);
            start(PRIMARY);
            start(REPLICA);
            run("bootstrap", dir(PRIMARY), "primary");
            run("bootstrap", dir(REPLICA), "replica");
            current = this;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> config = new HashMap<>();
        config.put("quarkus.datasource.write.jdbc.url", jdbcUrl(primaryPort));
        // No HAProxy here: the driver tries the replica first, then the primary.
        config.put("quarkus.datasource.read.jdbc.url",
                "jdbc:postgresql://127.0.0.1:" + replicaPort + ",127.0.0.1:" + primaryPort + "/users");
        config.put("quarkus.datasource.migrate-replica.jdbc.url", jdbcUrl(replicaPort));
        config.put("quarkus.datasource.write.password", env.get("USERS_WRITER_PASSWORD"));
        config.put("quarkus.datasource.read.password", env.get("USERS_READER_PASSWORD"));
        config.put("quarkus.datasource.migrate-primary.password", env.get("USERS_OWNER_PASSWORD"));
        config.put("quarkus.datasource.migrate-replica.password", env.get("PG_SUPERUSER_PASSWORD"));
        return config;
    }

    @Override
    public void stop() {
        try {
            for (String node : List.of(REPLICA, PRIMARY)) {
                run("kill", dir(node));
            }
        } finally {
            deleteQuietly(base);
        }
    }

    void start(String node) {
        run("start", dir(node));
    }

    /** Fast shutdown: the node refuses connections until started again. */
    void stop(String node) {
        run("stop", dir(node));
    }

    /** SIGKILL: a crash. */
    void kill(String node) {
        run("kill", dir(node));
    }

    /** SIGSTOP the node's processes: connections stay open and nothing answers (a hung host). */
    void freeze(String node) {
        run("freeze", dir(node));
    }

    /** SIGCONT what {@link #freeze} stopped. */
    void thaw(String node) {
        run("thaw", dir(node));
    }

    int port(String node) {
        return PRIMARY.equals(node) ? primaryPort : replicaPort;
    }

    /** A direct connection to one node as one of the application roles (reader, writer, owner). */
    Connection connect(String node, String role) throws SQLException {
        String password = env.get("USERS_" + role.toUpperCase() + "_PASSWORD");
        return DriverManager.getConnection(jdbcUrl(port(node)), "users_" + role, password);
    }

    /** The first column of the first row of a query run directly on one node, as text. */
    String query(String node, String role, String sql) throws SQLException {
        try (Connection c = connect(node, role); ResultSet rs = c.createStatement().executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** SQL run by the superuser on NODE in database users (ALTER SUBSCRIPTION and the like); the output, trimmed. */
    String superuser(String node, String sql) {
        return run("psql", dir(node), "-d", "users", "-At", "-c", sql).strip();
    }

    /** SIGSTOP (freeze) or SIGCONT (thaw) the replica's logical replication apply worker: replication stalls. */
    void signalApplyWorker(String signal) {
        String pid = superuser(REPLICA, "SELECT pid FROM pg_stat_subscription WHERE subname = 'users_sub' AND pid IS NOT NULL");
        if (pid.isEmpty()) {
            throw new IllegalStateException("no apply worker running");
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, pid).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String jdbcUrl(int port) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/users?connectTimeout=2";
    }

    private String dir(String node) {
        return base.resolve(node).toString();
    }

    private String run(String... args) {
        List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().putAll(env);
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(90, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("pg-node.sh " + String.join(" ", args) + " failed:\n" + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String randomSecret() {
        byte[] bytes = new byte[12];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static void deleteQuietly(Path root) {
        if (root == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory left behind is harmless
        }
    }
}
