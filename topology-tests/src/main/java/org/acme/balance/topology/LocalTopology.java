package org.acme.balance.topology;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The local runner, {@code ./balance}, driven from Java: the tests and the demos use the commands a person types. */
public final class LocalTopology implements Topology {

    private final Path root;
    private final Map<String, String> env = new HashMap<>();
    private final int portOffset;

    /**
     * @param home       the runner's state directory (BALANCE_HOME)
     * @param portOffset added to every default port, so a test topology never meets a developer's
     * @param extraEnv   further runner settings (BALANCE_INSTANCES_MIGRATE, ...)
     */
    public LocalTopology(Path root, Path home, int portOffset, Map<String, String> extraEnv) {
        this.root = root.toAbsolutePath().normalize();
        this.portOffset = portOffset;
        env.put("BALANCE_HOME", home.toAbsolutePath().toString());
        env.put("BALANCE_PORT_OFFSET", String.valueOf(portOffset));
        env.putAll(extraEnv);
    }

    /** The topology a person started with {@code ./balance up}: {@code ./balance demo} passes its home and offset. */
    public static LocalTopology ofUser(Path root) {
        return new LocalTopology(root, Path.of(System.getenv("BALANCE_HOME")),
                Integer.parseInt(System.getenv("BALANCE_PORT_OFFSET")), Map.of());
    }

    /** Runs {@code ./balance ARGS...}, returns its standard output; fails with the whole output when it fails. */
    public String run(String... args) {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("balance").toString()));
        command.addAll(List.of(args));
        return Command.run(command, root, env, 300);
    }

    public void up() {
        run("up");
    }

    /** Stops everything and deletes the data, after copying the logs to KEEP (for people to read). */
    public void downKeepingLogs(Path keep) {
        run("down");
        Path logs = Path.of(env.get("BALANCE_HOME"), "logs");
        try (var files = Files.walk(logs)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path target = keep.resolve(logs.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            // no logs to keep: nothing else to do
        }
        run("down", "-v");
    }

    public void down(boolean deleteData) {
        if (deleteData) {
            run("down", "-v");
        } else {
            run("down");
        }
    }

    @Override
    public void kill(String node) {
        run("kill", node);
    }

    @Override
    public void freeze(String node) {
        run("freeze", node);
    }

    @Override
    public void thaw(String node) {
        run("thaw", node);
    }

    @Override
    public void start(String node) {
        run("start", node);
    }

    @Override
    public String leader() {
        return run("leader").strip();
    }

    @Override
    public void switchover() {
        run("switchover");
    }

    @Override
    public boolean awaitReady(String member, Duration timeout) {
        // `start` on a running member waits (120 s at most) until it leads or is a standby ready to take over
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                run("start", member);
                return true;
            } catch (IllegalStateException notYet) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
            }
        }
    }

    @Override
    public void replication(String action) {
        run("replication", action);
    }

    @Override
    public String psql(String node, String sql) {
        return run("psql", node, "-d", "users", "-At", "-c", sql).strip();
    }

    @Override
    public URI api(String path) {
        return URI.create("http://127.0.0.1:" + (8080 + portOffset) + path);
    }

    /** One service instance directly, without nginx: users-backend-N listens on 8080 + N + the offset. */
    public URI instance(String node, String path) {
        int n = Integer.parseInt(node.substring("users-backend-".length()));
        return URI.create("http://127.0.0.1:" + (8080 + n + portOffset) + path);
    }

    /** An instance's management interface (health, metrics): 9080 + N + the offset. */
    public URI management(String node, String path) {
        int n = Integer.parseInt(node.substring("users-backend-".length()));
        return URI.create("http://127.0.0.1:" + (9080 + n + portOffset) + path);
    }

    /** The runner's state directory (BALANCE_HOME): its pidfiles are in run/. */
    public Path home() {
        return Path.of(env.get("BALANCE_HOME"));
    }

    public int portOffset() {
        return portOffset;
    }

}
