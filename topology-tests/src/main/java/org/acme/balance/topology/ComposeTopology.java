package org.acme.balance.topology;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The compose stack (docker-compose-balance.yml), broken and mended with docker: kill = {@code docker kill}
 * (SIGKILL), freeze = {@code docker pause}, start waits for the container's healthcheck. Each service's container is
 * looked up through docker-compose once and driven with plain {@code docker} after that: docker-compose v1 spends
 * about a second starting Python on every call, and a scenario polls the members dozens of times.
 */
public final class ComposeTopology implements Topology {

    /** A member's data directory inside its volume (Patroni may replace it whole); its socket is beside it. */
    static final String MEMBER_DATA = "/var/lib/postgresql/data/pgdata";

    private final Path root;
    private final String project;
    private final int httpPort;
    /** Service name -> container id; kill, pause and start keep a container (only compose up would replace it). */
    private final Map<String, String> containers = new ConcurrentHashMap<>();

    public ComposeTopology(Path root, String project, int httpPort) {
        this.root = root.toAbsolutePath().normalize();
        this.project = project;
        this.httpPort = httpPort;
    }

    @Override
    public void kill(String node) {
        docker("kill", "-s", "SIGKILL", container(node));
    }

    @Override
    public void freeze(String node) {
        String container = container(node);
        for (int attempt = 1; ; attempt++) {
            try {
                docker("pause", container);
                return;
            } catch (IllegalStateException e) {
                // runc's freezer gives up ("unable to freeze") when a process will not stop in time (a backend in
                // an fsync under load, a fork under way); it thaws the container again, so another try is safe
                if (attempt == 5 || !String.valueOf(e.getMessage()).contains("unable to freeze")) {
                    throw e;
                }
                System.out.println("  docker pause " + node + ": unable to freeze, trying again (" + attempt + ")");
                sleep(200);
            }
        }
    }

    @Override
    public void thaw(String node) {
        docker("unpause", container(node));
    }

    @Override
    public void start(String node) {
        String container = container(node);
        if ("true".equals(docker("inspect", "-f", "{{.State.Paused}}", container).strip())) {
            docker("unpause", container);
        }
        docker("start", container);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!"healthy".equals(docker("inspect", "-f", "{{.State.Health.Status}}", container).strip())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(node + " not healthy 120 s after start");
            }
            sleep(200);
        }
    }

    @Override
    public String leader() {
        // Patroni's own answer, asked inside each running member: GET /primary is 200 on the leader only
        for (String member : MEMBERS) {
            if (running(member) && "200".equals(docker("exec", container(member), "curl", "-s", "-o", "/dev/null", "-w",
                    "%{http_code}", "--max-time", "1", "http://127.0.0.1:8008/primary").strip())) {
                return member;
            }
        }
        throw new IllegalStateException("no member of " + PRIMARY + " leads now");
    }

    @Override
    public void switchover() {
        String leader = leader();
        String candidate = MEMBERS.stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
        // the REST API's password is in the member's environment (the compose file's secrets)
        docker("exec", container(leader), "sh", "-c", "curl -fsS --max-time 60 -u \"patroni:$PATRONI_RESTAPI_PASSWORD\""
                + " -X POST -H 'Content-Type: application/json' -d '{\"leader\":\"" + leader + "\",\"candidate\":\""
                + candidate + "\"}' http://127.0.0.1:8008/switchover");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!candidate.equals(leaderOrNull())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(candidate + " does not lead 60 s after the switchover");
            }
            sleep(200);
        }
    }

    @Override
    public boolean awaitReady(String member, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            // the runner's definition, run inside the member: it leads, or it is the synchronous standby in etcd,
            // caught up, streaming, with the slot's copy, and still so a Patroni loop later
            if (running(member) && memberReady(member)) {
                return true;
            }
            sleep(500);
        }
        return false;
    }

    private boolean memberReady(String member) {
        try {
            docker("exec", container(member), "/opt/balance/member-ready.sh", member, "http://127.0.0.1:8008", "--hold",
                    "psql", "-X", "-q", "-h", MEMBER_DATA + ".sock", "-U", "postgres");
            return true;
        } catch (IllegalStateException notReady) {
            return false;
        }
    }

    private String leaderOrNull() {
        try {
            return leader();
        } catch (IllegalStateException none) {
            return null;
        }
    }

    /** The container runs and is not paused. */
    private boolean running(String node) {
        String container = containerOrNull(node);
        return container != null
                && "true false".equals(docker("inspect", "-f", "{{.State.Running}} {{.State.Paused}}", container).strip());
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
                docker("exec", container(REPLICA), "sh", "-c", "kill -" + ("freeze".equals(action) ? "STOP " : "CONT ") + pid);
            }
            default -> throw new IllegalArgumentException("replication " + action);
        }
    }

    @Override
    public String psql(String node, String sql) {
        // the superuser over the node's own socket (peer authentication, as the postgres account); the primary is
        // whichever member leads, its socket in its data directory
        String service = PRIMARY.equals(node) ? leader() : node;
        String socket = MEMBERS.contains(service) ? MEMBER_DATA + ".sock" : "/var/lib/postgresql/data";
        return docker("exec", container(service), "psql", "-X", "-q", "-h", socket, "-U", "postgres",
                "-d", "users", "-At", "-c", sql).strip();
    }

    @Override
    public URI api(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    private String container(String service) {
        String id = containerOrNull(service);
        if (id == null) {
            throw new IllegalStateException(service + " has no container in compose project " + project);
        }
        return id;
    }

    private String containerOrNull(String service) {
        String cached = containers.get(service);
        if (cached != null) {
            return cached;
        }
        String id = compose("ps", "-q", service).strip();
        if (id.isEmpty()) {
            return null; // not created (yet): asked again next time
        }
        containers.put(service, id);
        return id;
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
