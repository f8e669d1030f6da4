package org.acme.balance.soak;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.acme.balance.scenario.LoadGenerator;
import org.acme.balance.topology.LocalTopology;
import org.acme.balance.topology.Topology;

/**
 * A soak of the running local topology: for the settings' minutes, the scenarios' HTTP load through nginx
 * ({@link LoadGenerator}: reads of known users without a token, creates with and without an Idempotency-Key, each read
 * back at once with its Consistency-Token), chat clients posting ({@link ChatLoad}), a failure of the failure contract
 * every few minutes ({@link FailureCycle}), and the resources of every instance and database node recorded as it goes
 * ({@link ResourceSampler}). Afterwards the topology is whole again, and what the leader and the replica hold is read
 * back for the checks ({@link SoakChecks}).
 */
public final class Soak {

    static final int KNOWN_USERS = 20;

    private final LocalTopology topology;
    private final SoakSettings settings;

    public Soak(LocalTopology topology, SoakSettings settings) {
        this.topology = topology;
        this.settings = settings;
    }

    SoakResult run() throws Exception {
        Instant started = Instant.now();
        String prefix = "soak-" + started.toEpochMilli() + "-";
        TopologyWhole whole = new TopologyWhole(topology);
        List<String> missing = whole.await(Duration.ofSeconds(60));
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the topology is not whole, nothing to soak: " + missing);
        }
        List<String> instances = instances();
        String jvm = topology.run("status").lines().filter(l -> l.startsWith("instances' JVM:"))
                .map(l -> l.substring("instances' JVM:".length()).trim()).findFirst().orElse("?");
        log("instances %s; seeding %d users to read", instances, KNOWN_USERS);
        List<Long> known = LoadGenerator.seedUsers(topology, prefix, KNOWN_USERS);
        awaitOnReplica(prefix, KNOWN_USERS, 30);

        LoadGenerator load = new LoadGenerator(topology, known, prefix, settings.loadPause());
        // the clock of everything below: the load's
        ChatLoad chat = new ChatLoad(topology, instances, prefix + "room", settings.chatMembers(), settings.chatPauseMs(),
                load::nowMs);
        ResourceSampler sampler = new ResourceSampler(topology, instances, load::nowMs, settings.sampleEveryMs());
        List<FailureCycle.Injected> failures;
        double runFrom = settings.warmupMs();
        double plannedEnd = runFrom + settings.runMs();
        double runTo = -1;
        try {
            load.start();
            chat.start();
            sampler.start();
            log("load started: %s", settings.describe());
            failures = new FailureCycle(topology, load::nowMs, settings)
                    .run(runFrom + settings.firstFailureMs(), plannedEnd - settings.quietTailMs());
            double wait = plannedEnd - load.nowMs();
            if (wait > 0) {
                Thread.sleep((long) wait);
            }
            runTo = load.nowMs();
            sampler.stop(); // its last sample: the end of the soak proper
        } finally {
            // also when the run broke off: no chat client or sampler goes on against the topology (SoakIT's JVM runs
            // other classes after it)
            if (runTo < 0) {
                sampler.stop();
            }
            chat.stop(15_000);
            load.stop();
        }
        double end = load.nowMs();
        log("load stopped after %.0f s; checking what the databases hold", end / 1000);

        // a topology the failures left broken (a failure not undone within its wait) is not waited for as long again
        boolean broken = failures.stream().anyMatch(f -> f.wholeMs() < 0);
        List<String> notWhole = whole.await(Duration.ofSeconds(broken ? 20 : 180));
        int replicaWait = notWhole.isEmpty() ? 60 : 10;
        Map<String, Integer> serving = nginxServing();
        Map<String, Long> onPrimary = new HashMap<>();
        List<String> twice = new ArrayList<>();
        for (String row : rows(Topology.PRIMARY, "SELECT email || ' ' || id FROM users.app_user WHERE email LIKE '"
                + prefix + "%'")) {
            String[] parts = row.split(" ");
            if (onPrimary.put(parts[0], Long.parseLong(parts[1])) != null) {
                twice.add(parts[0]);
            }
        }
        awaitOnReplica(prefix, onPrimary.size(), replicaWait);
        Map<String, Long> onReplica = new HashMap<>();
        for (String row : rows(Topology.REPLICA, "SELECT email || ' ' || id FROM users.app_user WHERE email LIKE '"
                + prefix + "%'")) {
            String[] parts = row.split(" ");
            onReplica.put(parts[0], Long.parseLong(parts[1]));
        }
        Map<String, List<Long>> chatOnPrimary = new TreeMap<>();
        long chatStored = 0;
        for (String row : rows(Topology.PRIMARY, "SELECT author || ' ' || coalesce(client_key, '-') || ' ' || id"
                + " FROM users.chat_messages WHERE room = '" + chat.room + "' ORDER BY id")) {
            String[] parts = row.split(" ");
            chatOnPrimary.computeIfAbsent(parts[0] + " " + parts[1], k -> new ArrayList<>()).add(Long.parseLong(parts[2]));
            chatStored++;
        }
        long chatOnReplica = awaitCount(Topology.REPLICA, "SELECT count(*) FROM users.chat_messages WHERE room = '"
                + chat.room + "'", chatStored, replicaWait);
        return new SoakResult(settings, started, prefix, runFrom, runTo, end, load.samples(), chat, failures, sampler.samples(),
                onPrimary, twice, onReplica, chatOnPrimary, chatStored, chatOnReplica, notWhole, serving, instances, jvm);
    }

    /** The instances the runner started: users-backend-N with a pidfile. */
    private List<String> instances() throws java.io.IOException {
        try (Stream<Path> files = Files.list(topology.home().resolve("run"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.matches("users-backend-\\d+\\.pid"))
                    .map(n -> n.substring(0, n.length() - ".pid".length()))
                    .sorted(java.util.Comparator.comparingInt(n -> Integer.parseInt(n.substring("users-backend-".length()))))
                    .toList();
        }
    }

    /**
     * Which instances serve GET /host through nginx, once nginx has taken a restarted instance back (its fail_timeout is
     * 5 s): up to 20 s of 20 requests each, until both serving instances answer. Classes that run after the soak expect
     * nginx's round robin as it was.
     */
    private Map<String, Integer> nginxServing() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Map<String, Integer> served;
        do {
            served = new TreeMap<>();
            for (int i = 0; i < 20; i++) {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(topology.api("/host"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
                served.merge(response.headers().firstValue("X-Served-By").orElse("status " + response.statusCode()), 1,
                        Integer::sum);
            }
            if (served.size() >= 2) {
                break;
            }
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);
        return served;
    }

    private List<String> rows(String node, String sql) {
        return topology.psql(node, sql).lines().filter(l -> !l.isBlank()).toList();
    }

    private void awaitOnReplica(String prefix, long expected, int seconds) throws InterruptedException {
        awaitCount(Topology.REPLICA, "SELECT count(*) FROM users.app_user WHERE email LIKE '" + prefix + "%'", expected,
                seconds);
    }

    /** Waits until SQL counts EXPECTED on NODE, at most SECONDS; returns the last count. */
    private long awaitCount(String node, String sql, long expected, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long count;
        do {
            count = Long.parseLong(topology.psql(node, sql));
            if (count >= expected) {
                break;
            }
            Thread.sleep(250);
        } while (System.nanoTime() < deadline);
        return count;
    }

    static void log(String format, Object... args) {
        System.out.println("soak: " + String.format(java.util.Locale.ROOT, format, args));
    }
}
