package org.acme.balance.soak;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import org.acme.balance.bench.BenchReport.Table;
import org.acme.balance.scenario.LoadGenerator.Sample;
import org.acme.balance.soak.FailureCycle.Injected;

/**
 * Writes what a soak measured: OUT/NAME.md (date, commit, machine, settings, verdicts, requests by status, the failures,
 * the chat, the resources of the first and last quarters, a row per sample), its chart OUT/benchmarks/soak.png with
 * the table behind it (soak-resources.csv), and every request in WORK/soak-requests.csv.
 */
final class SoakReport {

    /** The minutes of {@code ./balance soak} without an argument (infra/balance/soak.sh). */
    static final int DEFAULT_MINUTES = 30;
    static final String[] KINDS = {"GET", "GET own (token)", "POST with key", "POST without key"};

    private final SoakResult result;
    private final SoakChecks checks;
    private final List<SoakChecks.Verdict> verdicts;
    private final Path root;

    SoakReport(SoakResult result, SoakChecks checks, List<SoakChecks.Verdict> verdicts, Path root) {
        this.result = result;
        this.checks = checks;
        this.verdicts = verdicts;
        this.root = root;
    }

    /** Writes the page, the chart and the tables; returns the page. */
    Path write(Path out, String name, Path work, String writtenBy) throws IOException, InterruptedException {
        Path charts = out.resolve("benchmarks");
        Files.createDirectories(charts);
        Files.createDirectories(work);
        Path csv = charts.resolve("soak-resources.csv");
        Files.writeString(csv, resourcesCsv());
        Path markers = work.resolve("soak-events.gp");
        Files.writeString(markers, markers());
        Path png = charts.resolve("soak.png");
        chart(csv, markers, png);
        Files.writeString(work.resolve("soak-requests.csv"), requestsCsv());
        Files.writeString(work.resolve("soak-samples.tsv"), samplesTsv());
        Path page = out.resolve(name + ".md");
        Files.writeString(page, page(writtenBy, out.relativize(png).toString(), out.relativize(csv).toString()));
        return page;
    }

    // ---- the page -----------------------------------------------------------------------------------------------

    private String page(String writtenBy, String png, String csv) {
        SoakSettings settings = result.settings();
        long failed = verdicts.stream().filter(v -> !v.held()).count();
        StringBuilder s = new StringBuilder();
        s.append("# Soak: ").append(SoakSettings.minutesText(settings.minutes())).append(" minutes of load and failures\n\n");
        s.append(String.format(Locale.ROOT, "Written by %s on %s, from commit `%s`%s. Machine: %s. The instances' JVM: %s."
                + " The run took %.1f minutes, warm-up included.%n%n", writtenBy,
                DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").format(result.started().atOffset(ZoneOffset.UTC)),
                git("rev-parse", "--short", "HEAD"), dirty() ? " with uncommitted changes outside docs/" : "", machine(),
                result.instancesJvm(), result.endMs() / 60_000));
        if (settings.minutes() != DEFAULT_MINUTES) {
            s.append(String.format(Locale.ROOT, "**A %s-minute run,** not the %d minutes of `./balance soak`: %s.%n%n",
                    SoakSettings.minutesText(settings.minutes()), DEFAULT_MINUTES, settings.isShort()
                            ? "resources every 10 s and failures as fast as the topology is whole again, so its quarters are"
                            + " short and its leak verdicts weaker than a long run's"
                            : "its quarters are shorter than the default run's"));
        }
        s.append(failed == 0 ? "**Verdict: every check held.**\n\n"
                : "**Verdict: " + failed + " check" + (failed == 1 ? "" : "s") + " FAILED** (below).\n\n");

        s.append("## How it ran\n\n");
        s.append("- **Timing:** ").append(settings.describe()).append(".\n");
        s.append("- **HTTP load through nginx** (the scenarios' `LoadGenerator`): 4 clients read known users without a"
                + " token; 2 create users (one with an `Idempotency-Key` on every create, one without) and read each one"
                + " back at once with the create's `Consistency-Token`.\n");
        s.append("- **Chat:** ").append(settings.chatMembers()).append(" clients in room `").append(result.chat().room)
                .append("`, the first ").append(Math.min(settings.chatMembers(), result.instances().size()))
                .append(" straight on one instance each (every instance relays), the rest through nginx; each sends one"
                        + " message at a time with a key, waits for its acknowledgement (its own message back), resends"
                        + " with the same key after a 503 or 10 s, and reconnects with `after=` when its socket breaks.\n");
        s.append("- **Failures,** in turn: the replica killed (started again after 7 s), the primary's leader killed"
                + " (started again once the other member leads), `users-backend-1` killed (started again after 7 s), a"
                + " switchover; all with the runner's own commands. The next one starts only once the topology is whole"
                + " again: every node up in `./balance status`, both members ready as the runner's `member_ready` says"
                + " (leading, or a standby streaming with the slot's copy), HAProxy writing to a leader and reading from"
                + " the replica, the subscription applying, every instance ready.\n");
        s.append("- **Answers** during a failure's stretch (its command to whole again + ").append(settings.settleMs() / 1000)
                .append(" s) are judged by that scenario's rules of the failure contract, the same code as `TopologyIT`"
                        + " (`ScenarioRun.statusViolations`); all other answers must be 200 or 201.\n");
        s.append("- **Resources** every ").append(settings.sampleEveryMs() / 1000).append(" s: each instance's RSS,"
                + " threads and open files (`/proc`, PIDs from the runner's pidfiles), its heap after a full GC (Micrometer's"
                + " `jvm_gc_live_data_size_bytes` from `/q/metrics` on its management port, after `jcmd PID GC.run`: with"
                + " SerialGC and a 128 MB heap a full GC is otherwise rare and the gauge stays 0), and each PostgreSQL"
                + " node's connections (`pg_stat_activity`: client backends and WAL senders, through `./balance psql`).\n");
        s.append("- **Leaks:** the median of the soak's first quarter against that of its last (warm-up excluded); more"
                + " than ").append((int) LeakCheck.MAX_GROWTH_PCT).append(" % growth fails (for counts, only a growth by more than "
                + LeakCheck.MIN_COUNT_GROWTH + " as well: a pool that holds one or two connections more is no trend)."
                        + " An instance killed and started again is a new JVM that grows while it warms up: it is not"
                        + " compared. A member's connections depend on its role: it is compared within the role it had at"
                        + " the end, and the leader's and standby's connections are compared as roles too, and all nodes'"
                        + " together. In runs under 10 minutes RSS and those connections are reported, not judged: both"
                        + " climb to a high-water mark with each failure's burst for some minutes (a pool that took another"
                        + " instance's load gives a connection back after 2 idle minutes); the heap after GC is judged. The"
                        + " connections that are not pooled (each instance's chat listener and heartbeat, Patroni's, the WAL"
                        + " senders) must not grow at all, in any run. Each quarter is judged on its samples taken while"
                        + " the topology was whole (outside"
                        + " every failure's stretch, when nodes are down and pools reconnect elsewhere); a quarter without"
                        + " one, on all its samples.\n\n");

        s.append("## Checks\n\n");
        Table t = new Table().head("check", "verdict", "what was seen");
        verdicts.forEach(v -> t.row(v.check(), v.held() ? "held" : "**FAILED**", v.detail()));
        s.append(t).append('\n');

        s.append("## Requests by status\n\n");
        s.append(statusTable(result.requests())).append('\n');

        s.append("## Failures injected\n\n");
        Table f = new Table().head("at (s)", "failure", "command returned (s)", "started again (s)",
                "whole again after (s)", "requests in its stretch, by status");
        for (Injected failure : result.failures()) {
            List<Sample> in = result.requests().stream().filter(x -> checks.stretchOf(x) == failure).toList();
            f.row(seconds(failure.atMs()), failure.label() + (failure.problem() == null ? "" : " **" + failure.problem() + "**"),
                    since(failure.failedMs(), failure), since(failure.restartedMs(), failure),
                    since(failure.wholeMs(), failure), SoakChecks.statuses(in));
        }
        s.append(result.failures().isEmpty() ? "None.\n" : f.toString()).append('\n');

        s.append("## Chat\n\n");
        Table c = new Table().head("client", "connected to", "sent", "acknowledged", "resent", "error frames",
                "reconnects", "received");
        for (ChatMember m : result.chat().members) {
            c.row(m.client.user, m.base.toString(), String.valueOf(m.sends), String.valueOf(m.acknowledged.size()),
                    String.valueOf(m.resends), m.errors.toString(), String.valueOf(m.reconnects),
                    String.valueOf(m.client.messages.size()));
        }
        s.append(c).append('\n');
        s.append(String.format(Locale.ROOT, "%d messages stored on the leader, %d on the replica.%n", result.chatStored(),
                result.chatOnReplica()));
        List<String> events = result.chat().members.stream()
                .flatMap(m -> m.events.stream().map(e -> String.format(Locale.ROOT, "- %.1f s, %s: %s", e.atMs() / 1000,
                        m.client.user, e.what()))).sorted().limit(40).toList();
        if (!events.isEmpty()) {
            s.append("\n").append(String.join("\n", events)).append("\n");
        }
        s.append('\n');

        s.append("## Resources: first quarter against last\n\n");
        Table r = new Table().head("what", "resource", "first quarter (median)", "last quarter (median)", "growth", "verdict",
                "note");
        for (LeakCheck.Comparison cmp : checks.comparisons) {
            boolean compared = cmp.verdict() == LeakCheck.Verdict.PASS || cmp.verdict() == LeakCheck.Verdict.FAIL
                    || cmp.verdict() == LeakCheck.Verdict.REPORTED;
            r.row(cmp.subject(), cmp.resource(), compared ? num(cmp.first()) : "", compared ? num(cmp.last()) : "",
                    compared ? String.format(Locale.ROOT, "%+.1f %%", cmp.growthPct()) : "",
                    switch (cmp.verdict()) {
                        case PASS -> "held";
                        case FAIL -> "**grew**";
                        case NOT_COMPARED -> "not compared";
                        case REPORTED -> "reported";
                    }, cmp.note());
        }
        s.append(r).append('\n');

        s.append("## Over time\n\n");
        s.append("![resources over time](").append(png).append(")\n\n");
        s.append("Each row is one sample; requests/s are those completed since the sample before. An instance's cell:"
                + " RSS MB / heap after GC MB / threads / open files (— while it was down). A database node's cell: its"
                + " connections and role (L leader, S standby, R replica). The figures are in [").append(csv)
                .append("](").append(csv).append(").\n\n");
        s.append(sampleTable());
        return s.toString();
    }

    private String statusTable(List<Sample> samples) {
        Map<String, Map<Integer, Long>> byKind = new TreeMap<>();
        java.util.SortedSet<Integer> codes = new java.util.TreeSet<>();
        for (Sample x : samples) {
            byKind.computeIfAbsent(kind(x), k -> new TreeMap<>()).merge(x.status(), 1L, Long::sum);
            codes.add(x.status());
        }
        List<String> head = new ArrayList<>(List.of("request"));
        codes.forEach(code -> head.add(code == 0 ? "no answer" : String.valueOf(code)));
        head.add("total");
        Table t = new Table().head(head.toArray(String[]::new));
        for (String kind : KINDS) {
            Map<Integer, Long> counts = byKind.getOrDefault(kind, Map.of());
            List<String> row = new ArrayList<>(List.of(kind));
            codes.forEach(code -> row.add(String.valueOf(counts.getOrDefault(code, 0L))));
            row.add(String.valueOf(counts.values().stream().mapToLong(Long::longValue).sum()));
            t.row(row.toArray(String[]::new));
        }
        return t.toString();
    }

    private String sampleTable() {
        List<String> head = new ArrayList<>(List.of("t (s)", "during", "req/s ok", "503", "other"));
        head.addAll(result.instances());
        head.addAll(ResourceSampler.DATABASE_NODES);
        Table t = new Table().head(head.toArray(String[]::new));
        double previous = 0;
        for (ResourceSample sample : result.resources()) {
            double[] rates = rates(previous, sample.atMs());
            previous = sample.atMs();
            List<String> row = new ArrayList<>(List.of(seconds(sample.atMs()), during(sample.atMs()),
                    String.format(Locale.ROOT, "%.0f", rates[0]), String.format(Locale.ROOT, "%.1f", rates[1]),
                    String.format(Locale.ROOT, "%.1f", rates[2])));
            for (String instance : result.instances()) {
                ResourceSample.Instance i = sample.instances().get(instance);
                row.add(i == null ? "—" : String.format(Locale.ROOT, "%.0f / %s / %d / %d", i.rssKib() / 1024.0,
                        i.heapAfterGcBytes() < 0 ? "?" : String.format(Locale.ROOT, "%.1f", i.heapAfterGcBytes() / 1048576.0),
                        i.threads(), i.fds()));
            }
            for (String node : ResourceSampler.DATABASE_NODES) {
                ResourceSample.Node n = sample.nodes().get(node);
                row.add(n == null ? "—" : n.connections() + " " + Character.toUpperCase(n.role().charAt(0)));
            }
            t.row(row.toArray(String[]::new));
        }
        return t.toString();
    }

    /** What the run was doing at AT: the warm-up, a failure's stretch, or the quarters compared. */
    private String during(double atMs) {
        if (atMs < result.runFromMs()) {
            return "warm-up";
        }
        for (Injected failure : result.failures()) {
            if (atMs >= failure.atMs() && atMs <= failure.untilMs()) {
                return failure.scenario().id;
            }
        }
        double quarter = result.runMs() / 4;
        if (atMs <= result.runFromMs() + quarter) {
            return "1st quarter";
        }
        return atMs >= result.runToMs() - quarter && atMs <= result.runToMs() + 1 ? "last quarter" : "";
    }

    /** Requests completed in (FROM, TO], per second: ok (200, 201), 503, other. */
    private double[] rates(double fromMs, double toMs) {
        double seconds = Math.max(0.001, (toMs - fromMs) / 1000);
        double[] counts = new double[3];
        for (Sample x : result.requests()) {
            if (x.endMs() > fromMs && x.endMs() <= toMs) {
                counts[x.status() == 200 || x.status() == 201 ? 0 : x.status() == 503 ? 1 : 2]++;
            }
        }
        return toMs <= fromMs ? new double[3] : new double[] {counts[0] / seconds, counts[1] / seconds, counts[2] / seconds};
    }

    // ---- the chart and its tables -------------------------------------------------------------------------------------

    private String resourcesCsv() {
        StringBuilder csv = new StringBuilder("t_s,ok_per_s,503_per_s,other_per_s");
        Map<String, ToDoubleFunction<ResourceSample.Instance>> columns = LeakCheck.instanceColumns();
        for (String instance : result.instances()) {
            for (String column : List.of("rss_mb", "heap_after_gc_mb", "threads", "open_files")) {
                csv.append(',').append(instance).append('_').append(column);
            }
        }
        for (String node : ResourceSampler.DATABASE_NODES) {
            csv.append(',').append(node).append("_connections");
        }
        csv.append('\n');
        double previous = 0;
        for (ResourceSample sample : result.resources()) {
            double[] rates = rates(previous, sample.atMs());
            previous = sample.atMs();
            csv.append(String.format(Locale.ROOT, "%.1f,%.1f,%.2f,%.2f", sample.atMs() / 1000, rates[0], rates[1], rates[2]));
            for (String instance : result.instances()) {
                ResourceSample.Instance i = sample.instances().get(instance);
                for (ToDoubleFunction<ResourceSample.Instance> value : columns.values()) {
                    double v = i == null ? Double.NaN : value.applyAsDouble(i);
                    csv.append(',').append(Double.isNaN(v) ? "NaN" : String.format(Locale.ROOT, "%.1f", v));
                }
            }
            for (String node : ResourceSampler.DATABASE_NODES) {
                ResourceSample.Node n = sample.nodes().get(node);
                csv.append(',').append(n == null ? "NaN" : String.valueOf(n.connections()));
            }
            csv.append('\n');
        }
        return csv.toString();
    }

    /** gnuplot commands: a line at each failure (labelled), and at the warm-up's end and the quarters compared. */
    private String markers() {
        StringBuilder gp = new StringBuilder();
        double quarter = result.runMs() / 4;
        for (double at : new double[] {result.runFromMs(), result.runFromMs() + quarter, result.runToMs() - quarter}) {
            gp.append(String.format(Locale.ROOT, "set arrow from %.1f, graph 0 to %.1f, graph 1 nohead dt 3 lc rgb '#888888'%n",
                    at / 1000, at / 1000));
        }
        for (Injected failure : result.failures()) {
            gp.append(String.format(Locale.ROOT, "set arrow from %.1f, graph 0 to %.1f, graph 1 nohead dt 2 lw 2"
                    + " lc rgb 'dark-red'%nset label \"%s\" at %.1f, graph 0.95 offset 0.3,0 font ',8' tc rgb 'dark-red'%n",
                    failure.atMs() / 1000, failure.atMs() / 1000, failure.scenario().id, failure.atMs() / 1000));
        }
        return gp.toString();
    }

    private void chart(Path csv, Path markers, Path png) throws IOException, InterruptedException {
        String title = String.format(Locale.ROOT, "soak: %s min, %d failures (dotted: end of warm-up, first and last"
                + " quarter)", SoakSettings.minutesText(result.settings().minutes()), result.failures().size());
        Process gnuplot = new ProcessBuilder("gnuplot", "-e", String.format(Locale.ROOT,
                "data='%s'; markers='%s'; out='%s'; name='%s'; instances='%s'; nodes='%s'", csv, markers, png, title,
                String.join(" ", result.instances()), String.join(" ", ResourceSampler.DATABASE_NODES)),
                root.resolve("infra/balance/soak.gnuplot").toString())
                .redirectErrorStream(true).start();
        String output = new String(gnuplot.getInputStream().readAllBytes());
        if (!gnuplot.waitFor(60, TimeUnit.SECONDS) || gnuplot.exitValue() != 0) {
            throw new IllegalStateException("gnuplot failed: " + output);
        }
    }

    /** Every sample as measured, one line per instance or node: with each node's connections by application_name. */
    private String samplesTsv() {
        StringBuilder tsv = new StringBuilder("t_s\tsubject\tpid_or_role\trss_kib\theap_after_gc_bytes\tthreads\topen_files"
                + "\tconnections\tby_application\n");
        for (ResourceSample sample : result.resources()) {
            String t = String.format(Locale.ROOT, "%.1f", sample.atMs() / 1000);
            sample.instances().forEach((name, i) -> tsv.append(String.join("\t", t, name, String.valueOf(i.pid()),
                    String.valueOf(i.rssKib()), String.valueOf(i.heapAfterGcBytes()), String.valueOf(i.threads()),
                    String.valueOf(i.fds()), "", "")).append('\n'));
            sample.nodes().forEach((name, n) -> tsv.append(String.join("\t", t, name, n.role(), "", "", "", "",
                    String.valueOf(n.connections()), n.byApplication().toString())).append('\n'));
        }
        return tsv.toString();
    }

    private String requestsCsv() {
        StringBuilder csv = new StringBuilder("start_ms,end_ms,method,keyed,status,served_by,problem_json,retry_after,error,"
                + "email,id\n");
        for (Sample x : result.requests()) {
            csv.append(String.format(Locale.ROOT, "%.1f,%.1f,%s,%s,%d,%s,%s,%s,%s,%s,%d%n", x.startMs(), x.endMs(), x.method(),
                    x.keyed(), x.status(), x.servedBy(), x.problemJson(), x.retryAfter(), x.error() == null ? "" : x.error(),
                    x.email() == null ? "" : x.email(), x.id()));
        }
        return csv.toString();
    }

    // ---- facts and formats --------------------------------------------------------------------------------------------

    private String machine() {
        String cpu = read("/proc/cpuinfo").lines().filter(l -> l.startsWith("model name")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
        long memKib = read("/proc/meminfo").lines().filter(l -> l.startsWith("MemTotal:")).findFirst()
                .map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).orElse(0L);
        return String.format(Locale.ROOT, "%s, %d cores, %.1f GiB, Linux %s, Debian %s (shared: other loads may have run)",
                cpu, Runtime.getRuntime().availableProcessors(), memKib / 1048576.0, read("/proc/sys/kernel/osrelease").trim(),
                read("/etc/debian_version").trim());
    }

    private String git(String... args) {
        try {
            List<String> command = new ArrayList<>(List.of("git", "-C", root.toString()));
            command.addAll(List.of(args));
            Process git = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(git.getInputStream().readAllBytes()).trim();
            return git.waitFor(30, TimeUnit.SECONDS) && git.exitValue() == 0 ? out : "unknown";
        } catch (IOException | InterruptedException e) {
            return "unknown";
        }
    }

    private boolean dirty() {
        // the docs are what a run writes, not what it runs
        String status = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)docs");
        return !status.isEmpty() && !"unknown".equals(status);
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            return "?";
        }
    }

    private static String seconds(double ms) {
        return String.format(Locale.ROOT, "%.0f", ms / 1000);
    }

    private static String since(double ms, Injected failure) {
        return ms < 0 ? "—" : String.format(Locale.ROOT, "%.1f", (ms - failure.atMs()) / 1000);
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.1f", v);
    }

    static String kind(Sample x) {
        return x.isPost() ? (x.keyed() ? "POST with key" : "POST without key") : x.isOwnRead() ? "GET own (token)" : "GET";
    }

    /** The verdicts that failed, one line each, for the console. */
    static String failures(List<SoakChecks.Verdict> verdicts) {
        return verdicts.stream().filter(v -> !v.held()).map(v -> "  FAILED: " + v.check() + ": " + v.detail())
                .collect(Collectors.joining("\n"));
    }
}
