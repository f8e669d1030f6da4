package org.acme.balance.topology;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The compose stack (docker-compose-balance.yml), broken and mended with docker: kill = {@code docker kill}
 * (SIGKILL), freeze = {@code docker pause}, start waits for the container's healthcheck.
 */
public final class ComposeTopology implements Topology {

    private final Path root;
    private final String project;
    private final int httpPort;

    public ComposeTopology(Path root, String project, int httpPort) {
        this.root = root.toAbsolutePath().normalize();
        this.project = project;
        this.httpPort = httpPort;
    }

    @Override
    public void kill(String node) {
        compose("kill", "-s", "SIGKILL", node);
    }

    @Override
    public void freeze(String node) {
        compose("pause", node);
    }

    @Override
    public void thaw(String node) {
        compose("unpause", node);
    }

    @Override
    public void start(String node) {
        String container = compose("ps", "-q", node).strip();
        if ("true".equals(docker("inspect", "-f", "{{.State.Paused}}", container).strip())) {
            compose("unpause", node);
        }
        compose("start", node);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!"healthy".equals(docker("inspect", "-f", "{{.State.Health.Status}}", container).strip())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(node + " not healthy 120 s after start");
            }
            sleep(200);
        }
    }

    @Override
    public void replication(String action) {
        switch (action) {
            case "disable", "enable" -> psql(REPLICA, "ALTER SUBSCRIPTION users_sub " + action.toUpperCase());
            case "freeze", "thaw" -> {
                String pid = psql(REPLICA, "SELECT pid FROM pg_stat_subscription WHERE subname = 'users_sub'"
                        + " AND relid IS NULL AND pid IS NOT NULL");
                if (pid.isEmpty()) {
                    throw new IllegalStateException("no apply worker runs on " + REPLICA);
                }
                // inside the container, as its own user (postgres), which owns the worker
                compose("exec", "-T", REPLICA, "sh", "-c", "kill -" + ("freeze".equals(action) ? "STOP " : "CONT ") + pid);
            }
            default -> throw new IllegalArgumentException("replication " + action);
        }
    }

    @Override
    public String psql(String node, String sql) {
        // the superuser over the node's own socket (peer authentication, as the postgres account)
        return compose("exec", "-T", node, "psql", "-X", "-q", "-h", "/var/lib/postgresql/data", "-U", "postgres",
                "-d", "users", "-At", "-c", sql).strip();
    }

    @Override
    public URI api(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    private String compose(String... args) {
        List<String> command = new ArrayList<>(List.of("docker-compose", "-p", project, "-f",
                root.resolve("docker-compose-balance.yml").toString()));
        command.addAll(List.of(args));
        return exec(command);
    }

    private String docker(String... args) {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        return exec(command);
    }

    private String exec(List<String> command) {
        return Command.run(command, root, Map.of(), 180);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
