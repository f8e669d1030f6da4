package org.acme.balance.scenario;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.acme.balance.scenario.LoadGenerator.Probe;
import org.acme.balance.scenario.LoadGenerator.Sample;
import org.acme.balance.topology.Topology;

/**
 * One scenario, run: load through nginx, the failure and the recovery at fixed times, then what the primary
 * and the replica hold. The measurements the tests assert and the demos print, the timeline CSV and its chart.
 */
public final class ScenarioRun {

    /** A moment of the run: a command given to the runner, when it was given and when it returned. */
    public record Event(String label, double atMs, double doneMs) {
    }

    static final double BUCKET_MS = 500;
    /** Writes are accepted again at most this long after the leader failed (the aim; docs/testing.md). */
    public static final double WRITE_FAILOVER_BOUND_MS = 15_000;
    static final int KNOWN_USERS = 20;
    /** A run proves something only with a real load behind it (contractViolations). */
    static final int MIN_GETS = 300;
    static final int MIN_POSTS = 50;

    public final Scenario scenario;
    /** The node that failed: the scenario's, with the leader and the standby resolved when it started. */
    public final String target;
    public final List<Sample> samples;
    public final List<Probe> probes;
    public final List<Event> events;
    /** email -> id of every user of this run in the primary, after the run. */
    public final Map<String, Long> storedOnPrimary;
    /** How many of them the replica holds once replication caught up (or gave up waiting). */
    public final long storedOnReplica;
    /** When the load stopped, from its start. */
    public final double endMs;
    /**
     * A member of the primary that failed: how long after the load (and the restart of a killed one) it was a standby
     * able to take over again, in ms; -1 when it never was within the wait; 0 for the other scenarios.
     */
    public final double rejoinedMs;

    private ScenarioRun(Scenario scenario, String target, List<Sample> samples, List<Probe> probes, List<Event> events,
            Map<String, Long> storedOnPrimary, long storedOnReplica, double endMs, double rejoinedMs) {
        this.scenario = scenario;
        this.target = target;
        this.rejoinedMs = rejoinedMs;
        this.samples = samples;
        this.probes = probes;
        this.events = events;
        this.storedOnPrimary = storedOnPrimary;
        this.storedOnReplica = storedOnReplica;
        this.endMs = endMs;
    }

    public static ScenarioRun execute(Topology topology, Scenario scenario) throws Exception {
        String prefix = scenario.id + "-" + System.currentTimeMillis() + "-";
        List<Long> known = LoadGenerator.seedUsers(topology, prefix, KNOWN_USERS);
        awaitOnReplica(topology, prefix, KNOWN_USERS, 30);

        // every member ready to take over before a scenario begins (the one before may have failed one)
        for (String member : Topology.MEMBERS) {
            topology.awaitReady(member, java.time.Duration.ofSeconds(120));
        }
        String target = topology.resolve(scenario.node);
        List<Event> events = new ArrayList<>();
        double endMs;
        double rejoinedMs = 0;
        LoadGenerator load = new LoadGenerator(topology, known, prefix);
        try (load) {
            load.start();
            sleepUntil(load, scenario.failAtS * 1000.0);
            events.add(timed(load, scenario.failure.command + " " + target,
                    () -> scenario.failure.apply(topology, target)));
            // the load outlasts the failure command by settleS (a switchover through docker-compose takes a while)
            endMs = Math.max(scenario.endS * 1000.0, events.get(0).doneMs() + scenario.settleS * 1000.0);
            if (scenario.failure.isUndone()) {
                sleepUntil(load, scenario.recoverAtS * 1000.0);
                events.add(timed(load, scenario.failure.recovery + " " + target,
                        () -> scenario.failure.undo(topology, target)));
                endMs = Math.max(endMs, events.get(1).doneMs() + scenario.settleS * 1000.0);
            }
            sleepUntil(load, endMs);
            load.stop();
        } finally {
            // never leave a node dead or frozen for the next scenario, even when this one failed half-way
            long from = System.nanoTime();
            if (scenario.failure == Scenario.Failure.FREEZE) {
                ignoreFailure(() -> topology.thaw(target));
            }
            ignoreFailure(() -> topology.start(target));
            if (Topology.MEMBERS.contains(target)) {
                rejoinedMs = topology.awaitReady(target, java.time.Duration.ofSeconds(150))
                        ? (System.nanoTime() - from) / 1e6 : -1;
            }
        }

        Map<String, Long> stored = new HashMap<>();
        for (String row : topology.psql(Topology.PRIMARY,
                "SELECT email || ' ' || id FROM users.app_user WHERE email LIKE '" + prefix + "%'").split("\n")) {
            if (!row.isBlank()) {
                String[] parts = row.split(" ");
                if (stored.put(parts[0], Long.parseLong(parts[1])) != null) {
                    throw new IllegalStateException("email stored twice: " + parts[0]);
                }
            }
        }
        long onReplica = awaitOnReplica(topology, prefix, stored.size(), 30);
        return new ScenarioRun(scenario, target, load.samples(), load.probes(), List.copyOf(events), stored, onReplica,
                endMs, rejoinedMs);
    }

    // ---- measurements ------------------------------------------------------------------------

    public List<Sample> gets() {
        return select(Sample::isGet);
    }

    public List<Sample> posts() {
        return select(Sample::isPost);
    }

    /** Writers reading back what they created, with the create's Consistency-Token. */
    public List<Sample> ownReads() {
        return select(Sample::isOwnRead);
    }

    /** Own reads that said the user does not exist: older than the client's own write. */
    public List<Sample> ownWritesMissed() {
        return select(s -> s.isOwnRead() && s.status() == 404);
    }

    /** Share of the successful reads of known users (no token) that the replica served (X-Read-Route). */
    public double readsOnReplicaShare() {
        List<Sample> ok = select(s -> s.isGet() && s.status() == 200);
        return ok.isEmpty() ? 0 : (double) ok.stream().filter(Sample::readOnReplica).count() / ok.size();
    }

    /** GETs that did not answer 200: the reads of known users must never fail. */
    public List<Sample> failedGets() {
        return select(s -> s.isGet() && s.status() != 200);
    }

    /** Statuses of the POSTs with (KEYED) or without an Idempotency-Key, 0 for no HTTP answer at all. */
    public Map<Integer, Long> postStatuses(boolean keyed) {
        return postStatuses(samples, keyed);
    }

    /** Acknowledged (201) creates whose row is not in the primary with the id the client was given. */
    public List<Sample> lostAcknowledgedWrites() {
        return select(s -> s.status() == 201 && !Long.valueOf(s.id()).equals(storedOnPrimary.get(s.email())));
    }

    /** Creates the client never saw succeed but that are stored anyway (a commit whose answer was lost). */
    public long unacknowledgedButStored() {
        return posts().stream().filter(s -> s.status() != 201 && storedOnPrimary.containsKey(s.email())).count();
    }

    public double maxLatencyMs(Predicate<Sample> which) {
        return samples.stream().filter(which).mapToDouble(Sample::latencyMs).max().orElse(0);
    }

    /** The longest time without a successful GET completing, from the failure on: how long reads stalled. */
    public double readStallMs() {
        double failAt = events.get(0).atMs();
        double last = failAt;
        double longest = 0;
        List<Double> ends = gets().stream().filter(s -> s.status() == 200 && s.endMs() >= failAt)
                .map(Sample::endMs).sorted().toList();
        for (double end : ends) {
            longest = Math.max(longest, end - last);
            last = end;
        }
        return longest;
    }

    /**
     * From the failure command returning (the node is down or frozen by then; `docker pause` alone takes seconds on a
     * busy machine, which is not the stack's reaction) to the first /db answer that shows reads served by NODE; -1 if
     * none did. Measured like {@link #readsBackOnReplicaMs()}, from the command's return.
     */
    public double firstReadsOnAfterFailureMs(String node) {
        double failed = events.get(0).doneMs();
        return probes.stream().filter(p -> p.atMs() >= failed && node.equals(p.readNode()))
                .mapToDouble(p -> p.atMs() - failed).min().orElse(-1);
    }

    /**
     * From the recovery command returning (the node accepts connections again) to the last /db answer that did
     * not show the replica: after this moment every instance reads from the replica again.
     */
    public double readsBackOnReplicaMs() {
        double recovered = events.get(1).doneMs();
        return probes.stream().filter(p -> p.atMs() >= recovered && !Topology.REPLICA.equals(p.readNode()))
                .mapToDouble(p -> p.atMs() - recovered).max().orElse(0);
    }

    /** From the failure to the first write answered 503; -1 if none. */
    public double firstWrite503Ms() {
        double failAt = events.get(0).atMs();
        return posts().stream().filter(s -> s.status() == 503 && s.startMs() >= failAt)
                .mapToDouble(s -> s.endMs() - failAt).min().orElse(-1);
    }

    /** The first write answered 503 after the failure, if any. */
    private java.util.Optional<Sample> firstWrite503() {
        double failAt = events.get(0).atMs();
        return posts().stream().filter(s -> s.status() == 503 && s.startMs() >= failAt)
                .min(java.util.Comparator.comparingDouble(Sample::endMs));
    }

    /** The first write accepted after the first 503 (one sent after it): writes work again; empty if none. */
    private java.util.Optional<Sample> firstWriteAcceptedAfter503() {
        return firstWrite503().flatMap(refused -> posts().stream()
                .filter(s -> s.status() == 201 && s.startMs() >= refused.startMs() && s.endMs() > refused.endMs())
                .min(java.util.Comparator.comparingDouble(Sample::endMs)));
    }

    /** Write failover time: from the first write answered 503 to the first write accepted after it; -1 if none. */
    public double writeFailoverMs() {
        return firstWriteAcceptedAfter503().map(ok -> ok.endMs() - firstWrite503().get().endMs()).orElse(-1.0);
    }

    /**
     * From the failure command returning to the first write accepted after the outage (after the first 503); 0 when
     * no write was refused, -1 when they were and never came back.
     */
    public double writesBackAfterFailureMs() {
        if (firstWrite503().isEmpty()) {
            return 0;
        }
        double failed = events.get(0).doneMs();
        return firstWriteAcceptedAfter503().map(ok -> Math.max(0, ok.endMs() - failed)).orElse(-1.0);
    }

    /** Requests each instance served (X-Served-By) between two moments of the run. */
    public Map<String, Long> servedBy(double fromMs, double toMs) {
        return samples.stream().filter(s -> s.status() > 0 && s.startMs() >= fromMs && s.startMs() < toMs)
                .collect(Collectors.groupingBy(Sample::servedBy, TreeMap::new, Collectors.counting()));
    }

    /**
     * The failure contract (docs/architecture.md), checked on this run: what went wrong, one line each; empty when it held.
     * The same rules for the local runner's processes and for the compose stack's containers.
     */
    public List<String> contractViolations() {
        List<String> violations = new ArrayList<>();
        // the load ran, and every request got an HTTP answer: no hang, no reset. Floors that prove a real load without
        // depending on the machine's speed: the two writers send one create at a time, and during a leader's failover
        // (about 12 s in compose on 2 cores) each create waits for its answer, so a 26 s run has had 95 to 160 of them.
        check(violations, gets().size() > MIN_GETS && posts().size() > MIN_POSTS, "the load ran: " + samples.size()
                + " requests (" + gets().size() + " GET, " + posts().size() + " POST; more than " + MIN_GETS + " and "
                + MIN_POSTS + " needed)");
        // what each request was answered: the rules below, shared with the soak
        violations.addAll(statusViolations(scenario, target, samples));
        check(violations, readStallMs() < 7_000, "reads stalled " + readStallMs() + " ms");
        // nothing acknowledged is lost, nothing is stored twice (execute fails on a duplicate email), and the
        // replica catches up with everything once the failure is over
        check(violations, lostAcknowledgedWrites().isEmpty(), "acknowledged writes missing: " + lostAcknowledgedWrites());
        check(violations, storedOnReplica == storedOnPrimary.size(),
                "the replica holds " + storedOnReplica + " of " + storedOnPrimary.size() + " stored users");
        violations.addAll(readBackViolations(samples));

        if (scenario.writesUnaffected()) {
            double slowest = maxLatencyMs(s -> s.isPost());
            check(violations, slowest < 5_000, "writes stay fast: slowest " + slowest + " ms");
        }
        if (scenario.hitsReplica()) {
            double fallback = firstReadsOnAfterFailureMs(Topology.PRIMARY);
            check(violations, fallback >= 0 && fallback < 5_000, "reads served by the primary within 5 s: " + fallback);
            check(violations, readsBackOnReplicaMs() < 10_000, "reads back on the replica: " + readsBackOnReplicaMs());
        }
        if (scenario.hitsLeader()) {
            double slowest = maxLatencyMs(s -> s.isPost());
            check(violations, slowest < 5_000, "writes fail fast: slowest " + slowest + " ms");
            double back = writesBackAfterFailureMs();
            check(violations, back >= 0 && back <= WRITE_FAILOVER_BOUND_MS,
                    "writes accepted again within " + WRITE_FAILOVER_BOUND_MS + " ms, without restarting anything: " + back);
            List<Sample> lastWrites = select(s -> s.isPost() && s.startMs() >= endMs - 2_000);
            check(violations, !lastWrites.isEmpty() && lastWrites.stream().allMatch(s -> s.status() == 201),
                    "every write of the last 2 s accepted: " + lastWrites.stream().map(Sample::status).distinct().toList());
        }
        if (Topology.MEMBERS.contains(target)) {
            // the failed member comes back as a standby by itself (pg_rewind after a failover), ready to take over
            check(violations, rejoinedMs >= 0, target + " rejoined as a standby streaming with the logical slot");
        }
        if (scenario.hitsServiceInstance()) {
            // nginx tries a failed server again after fail_timeout (5 s): the scenario runs long enough for that
            Map<String, Long> after = servedBy(events.get(1).doneMs(), endMs);
            check(violations, after.getOrDefault(scenario.node, 0L) > 0, scenario.node + " serves again once back: " + after);
        }
        return violations;
    }

    /**
     * The failure contract's rules for what each request was answered, on SAMPLES of a load while SCENARIO's failure
     * of TARGET lasted; SCENARIO null: no failure, every request must succeed. What went wrong, one line each; empty
     * when they held. Part of {@link #contractViolations()}; the soak (org.acme.balance.soak) applies them to each
     * failure's stretch of its one long load, and to the rest of it.
     */
    /**
     * Read-your-writes (what those reads answered: statusViolations): every acknowledged create is read back with its
     * token. How many there are depends on how long writes were refused, so the floor only says the writers ran.
     */
    public static List<String> readBackViolations(List<Sample> samples) {
        List<String> violations = new ArrayList<>();
        long acknowledged = samples.stream().filter(s -> s.isPost() && s.status() == 201).count();
        long readBack = samples.stream().filter(Sample::isOwnRead).count();
        check(violations, readBack == acknowledged && acknowledged >= 30,
                "writers read back every acknowledged create: " + readBack + " of " + acknowledged);
        return violations;
    }

    public static List<String> statusViolations(Scenario scenario, String target, List<Sample> samples) {
        List<String> violations = new ArrayList<>();
        Predicate<Sample> unanswered = s -> s.status() == 0;
        check(violations, samples.stream().noneMatch(unanswered), "requests without an answer: " + select(samples, unanswered));
        // reads never fail, whichever node fails: replica (the primary takes over), primary (the replica serves),
        // a service instance (nginx moves on)
        Predicate<Sample> failedGet = s -> s.isGet() && s.status() != 200;
        check(violations, samples.stream().noneMatch(failedGet), "failed GETs: " + select(samples, failedGet));
        // read-your-writes: a client that presents the token of its create never reads the user as missing. Only
        // while the primary is down may such a read fail, and then as a 503 to retry, never an older answer.
        Predicate<Sample> missed = s -> s.isOwnRead() && s.status() == 404;
        check(violations, samples.stream().noneMatch(missed), "own writes read as missing (404): " + select(samples, missed));
        boolean leader = scenario != null && scenario.hitsLeader();
        Set<Integer> ownStatuses = samples.stream().filter(Sample::isOwnRead).map(Sample::status).collect(Collectors.toSet());
        Set<Integer> allowed = leader ? Set.of(200, 503) : Set.of(200);
        check(violations, allowed.containsAll(ownStatuses), "own reads answer " + ownStatuses + ": "
                + select(samples, s -> s.isOwnRead() && !allowed.contains(s.status())));
        check(violations, samples.stream().filter(s -> s.isOwnRead() && s.status() == 503)
                .allMatch(s -> s.problemJson() && s.retryAfter()),
                "an own read that cannot be served fresh is a 503 problem+json with Retry-After");

        Map<Integer, Long> keyed = postStatuses(samples, true);
        Map<Integer, Long> plain = postStatuses(samples, false);
        if (scenario == null || scenario.writesUnaffected()) {
            check(violations, keyed.keySet().equals(Set.of(201)) && plain.keySet().equals(Set.of(201)),
                    (scenario == null ? "writes succeed while nothing fails: " : "writes do not notice the loss of " + target
                            + ": ") + keyed + " " + plain);
        }
        if (leader) {
            // while no member leads, writes are refused at once (503, to retry); then the other member takes them
            for (Map<Integer, Long> statuses : List.of(keyed, plain)) {
                check(violations, Set.of(201, 503).containsAll(statuses.keySet()), "writes answer 201 or 503: " + statuses);
            }
            check(violations, samples.stream().filter(s -> s.isPost() && s.status() == 503)
                    .allMatch(s -> s.problemJson() && s.retryAfter()), "every 503 is problem+json with Retry-After");
        }
        if (scenario != null && scenario.hitsServiceInstance()) {
            // creates with an Idempotency-Key are resent by nginx to another instance: none fails
            check(violations, keyed.keySet().equals(Set.of(201)), "creates with an Idempotency-Key: " + keyed);
            // without one, a create in flight on the failed instance may fail at the gateway (nginx never resends
            // it); nothing else may
            check(violations, Set.of(201, 502, 504).containsAll(plain.keySet()), "creates without a key: " + plain);
            long failed = plain.values().stream().mapToLong(Long::longValue).sum() - plain.getOrDefault(201, 0L);
            check(violations, failed <= 4, failed + " creates failed: at most those in flight on the failed instance");
        }
        return violations;
    }

    /** Statuses of the POSTs among SAMPLES with (KEYED) or without an Idempotency-Key, 0 for no HTTP answer at all. */
    public static Map<Integer, Long> postStatuses(List<Sample> samples, boolean keyed) {
        return samples.stream().filter(s -> s.isPost() && s.keyed() == keyed)
                .collect(Collectors.groupingBy(Sample::status, TreeMap::new, Collectors.counting()));
    }

    private static List<Sample> select(List<Sample> samples, Predicate<Sample> which) {
        return samples.stream().filter(which).toList();
    }

    private static void check(List<String> violations, boolean held, String what) {
        if (!held) {
            violations.add(what);
        }
    }

    public String summary() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%s: %d requests (%d GET, %d POST) in %d s; failed GETs %d;"
                + " POST statuses with Idempotency-Key %s, without %s;"
                + " longest GET %.0f ms; longest POST %.0f ms; read stall %.0f ms",
                scenario.id, samples.size(), gets().size(), posts().size(), Math.round(endMs / 1000), failedGets().size(),
                postStatuses(true), postStatuses(false), maxLatencyMs(Sample::isGet), maxLatencyMs(s -> s.isPost()),
                readStallMs()));
        if (scenario.hitsReplica()) {
            out.append(String.format(Locale.ROOT, "; reads on the primary %.0f ms after the failure; all reads back on"
                    + " the replica %.0f ms after it returned", firstReadsOnAfterFailureMs(Topology.PRIMARY),
                    readsBackOnReplicaMs()));
        }
        if (scenario.hitsLeader() || scenario.writesUnaffected()) {
            out.append(String.format(Locale.ROOT, "; first write 503 %.0f ms after the %s; writes accepted again %.0f ms"
                    + " after it returned (write failover, first 503 to first accepted write: %.0f ms)",
                    firstWrite503Ms(), scenario.failure.command, writesBackAfterFailureMs(), writeFailoverMs()));
        }
        if (Topology.MEMBERS.contains(target)) {
            out.append(String.format(Locale.ROOT, "; %s ready to take over again %.0f ms after the load (started again"
                    + " if it was killed)", target, rejoinedMs));
        }
        out.append(String.format(Locale.ROOT, "; own reads with the token %s, read as missing %d; reads without a token"
                + " on the replica %.1f%%", ownReads().stream().collect(Collectors.groupingBy(Sample::status, TreeMap::new,
                        Collectors.counting())), ownWritesMissed().size(), 100 * readsOnReplicaShare()));
        out.append(String.format(Locale.ROOT, "; acknowledged writes lost %d; stored %d on the primary, %d on the replica;"
                + " unacknowledged but stored %d", lostAcknowledgedWrites().size(), storedOnPrimary.size(),
                storedOnReplica, unacknowledgedButStored()));
        events.forEach(e -> out.append(String.format(Locale.ROOT, "; [%.1f s] %s (%.0f ms)", e.atMs() / 1000,
                e.label(), e.doneMs() - e.atMs())));
        return out.toString();
    }

    // ---- timeline ----------------------------------------------------------------------------

    /**
     * Writes DIR/ID.csv (per half second: requests/s by outcome and by instance, share of reads on the replica),
     * DIR/ID-events.csv, DIR/ID-requests.csv (every request) and, when gnuplot is there, DIR/ID.png.
     */
    public Path writeTimeline(Path dir, Path chartScript) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        List<String> instances = List.of("users-backend-1", "users-backend-2", "users-backend-3");
        int buckets = (int) Math.ceil(endMs / BUCKET_MS) + 1;
        double perSecond = 1000 / BUCKET_MS;
        StringBuilder csv = new StringBuilder("t_s,get_ok,get_failed,post_ok,post_503,post_failed,"
                + String.join(",", instances) + ",reads_on_replica_pct\n");
        for (int b = 0; b < buckets; b++) {
            double from = b * BUCKET_MS;
            double to = from + BUCKET_MS;
            List<Sample> in = samples.stream().filter(s -> s.endMs() >= from && s.endMs() < to).toList();
            List<Probe> probed = probes.stream().filter(p -> p.atMs() >= from && p.atMs() < to).toList();
            csv.append(String.format(Locale.ROOT, "%.1f,%.0f,%.0f,%.0f,%.0f,%.0f", from / 1000,
                    count(in, s -> s.isGet() && s.status() == 200) * perSecond,
                    count(in, s -> s.isGet() && s.status() != 200) * perSecond,
                    count(in, s -> s.isPost() && s.status() == 201) * perSecond,
                    count(in, s -> s.isPost() && s.status() == 503) * perSecond,
                    count(in, s -> s.isPost() && s.status() != 201 && s.status() != 503) * perSecond));
            for (String instance : instances) {
                csv.append(String.format(Locale.ROOT, ",%.0f", count(in, s -> instance.equals(s.servedBy())) * perSecond));
            }
            long onReplica = probed.stream().filter(p -> Topology.REPLICA.equals(p.readNode())).count();
            csv.append(probed.isEmpty() ? ",\n" : String.format(Locale.ROOT, ",%.0f%n", 100.0 * onReplica / probed.size()));
        }
        Path timeline = dir.resolve(scenario.id + ".csv");
        Files.writeString(timeline, csv);

        StringBuilder eventsCsv = new StringBuilder("t_s,done_s,event\n");
        StringBuilder markers = new StringBuilder();
        for (Event e : events) {
            eventsCsv.append(String.format(Locale.ROOT, "%.3f,%.3f,%s%n", e.atMs() / 1000, e.doneMs() / 1000, e.label()));
            markers.append(String.format(Locale.ROOT,
                    "set arrow from %.2f, graph 0 to %.2f, graph 1 nohead dt 2 lw 2 lc rgb 'dark-red'%n"
                            + "set label \"%s\" at %.2f, graph 0.97 offset 0.5,0 font ',9' tc rgb 'dark-red'%n",
                    e.atMs() / 1000, e.atMs() / 1000, e.label(), e.atMs() / 1000));
        }
        Files.writeString(dir.resolve(scenario.id + "-events.csv"), eventsCsv);
        Path markersFile = dir.resolve(scenario.id + "-events.gp");
        Files.writeString(markersFile, markers);

        StringBuilder requests = new StringBuilder("start_ms,end_ms,method,status,served_by,error,email,id\n");
        for (Sample s : samples) {
            requests.append(String.format(Locale.ROOT, "%.1f,%.1f,%s,%d,%s,%s,%s,%d%n", s.startMs(), s.endMs(),
                    s.method(), s.status(), s.servedBy(), s.error() == null ? "" : s.error(),
                    s.email() == null ? "" : s.email(), s.id()));
        }
        Files.writeString(dir.resolve(scenario.id + "-requests.csv"), requests);

        Path png = dir.resolve(scenario.id + ".png");
        Process gnuplot = new ProcessBuilder("gnuplot", "-e",
                String.format("timeline='%s'; markers='%s'; out='%s'; name='%s'", timeline, markersFile, png,
                        scenario.id + ": " + events.stream().map(Event::label).collect(Collectors.joining(", then "))),
                chartScript.toString()).redirectErrorStream(true).start();
        String output = new String(gnuplot.getInputStream().readAllBytes());
        if (!gnuplot.waitFor(60, TimeUnit.SECONDS) || gnuplot.exitValue() != 0) {
            throw new IllegalStateException("gnuplot failed: " + output);
        }
        return png;
    }

    // ---- helpers -----------------------------------------------------------------------------

    private List<Sample> select(Predicate<Sample> which) {
        return samples.stream().filter(which).toList();
    }

    private static long count(List<Sample> samples, Predicate<Sample> which) {
        return samples.stream().filter(which).count();
    }

    private static Event timed(LoadGenerator load, String label, Runnable action) {
        double at = load.nowMs();
        action.run();
        return new Event(label, at, load.nowMs());
    }

    private static void sleepUntil(LoadGenerator load, double atMs) throws InterruptedException {
        double wait = atMs - load.nowMs();
        if (wait > 0) {
            Thread.sleep((long) wait);
        }
    }

    /** Waits until the replica holds EXPECTED users of this run, at most SECONDS; returns how many it holds. */
    private static long awaitOnReplica(Topology topology, String prefix, long expected, int seconds)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long count;
        do {
            count = Long.parseLong(topology.psql(Topology.REPLICA,
                    "SELECT count(*) FROM users.app_user WHERE email LIKE '" + prefix + "%'"));
            if (count >= expected) {
                break;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        return count;
    }

    private static void ignoreFailure(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            // already running / not frozen: the state we want
        }
    }
}
