package org.acme.balance.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import org.acme.balance.bench.BenchReport.Table;
import org.acme.balance.scenario.ScenarioRun;

/**
 * The report of the failover step of {@code ./balance bench} ({@code bench_failover} in infra/balance/bench.sh; alone:
 * {@code ./balance bench failover}): reads {@code failover.tsv} (one line per demo run of leader-killed and
 * leader-frozen, with the figures of its RESULT line), {@code writes.tsv} (POST runs through nginx with synchronous
 * replication and without) and {@code failover-facts.tsv} from the work directory, and writes
 * {@code benchmarks-failover.md} with copies of the two tables in {@code benchmarks/}. Every statistic of the page is
 * computed here. Usage: {@code FailoverReport WORK_DIR OUT_DIR}.
 */
public final class FailoverReport {

    static final List<String> SCENARIOS = List.of("leader-killed", "leader-frozen");
    /** What ScenarioRun throws on (a row stored twice): such a run prints no RESULT line. */
    static final String DUPLICATE = "stored twice";

    /** One demo run, a line of failover.tsv: its exit status and its RESULT figures, if it printed them. */
    record Attempt(String scenario, int run, int exit, Optional<Result> result, boolean duplicate) {
    }

    /** The fields of a RESULT line after the scenario's id (FailoverDemo). */
    record Result(boolean held, double writeFailoverMs, double writesBackMs, double first503Ms, long lost,
            long unacknowledgedStored, long storedPrimary, long storedReplica, double rejoinedMs, long failedGets) {
    }

    private final Path work;
    private final Results facts;
    private final List<Attempt> attempts;
    /** The write runs, as runs of path "sync" or "async" (no JDK). */
    private final List<Run> writes;

    FailoverReport(Path work) throws IOException {
        this.work = work;
        this.facts = Results.read(work.resolve("failover-facts.tsv"));
        this.attempts = Files.readAllLines(work.resolve("failover.tsv")).stream()
                .filter(line -> !line.isBlank() && !line.startsWith("scenario\t")).map(this::attempt).toList();
        this.writes = Files.readAllLines(work.resolve("writes.tsv")).stream()
                .filter(line -> !line.isBlank() && !line.startsWith("mode\t"))
                .map(line -> Run.parse(line.replaceFirst("\t", "\t\t"))).toList();
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: FailoverReport WORK_DIR OUT_DIR");
            System.exit(2);
        }
        new FailoverReport(Path.of(args[0])).write(Path.of(args[1]));
    }

    void write(Path out) throws IOException {
        Path tables = out.resolve("benchmarks");
        Files.createDirectories(tables);
        Files.writeString(out.resolve("benchmarks-failover.md"), BenchReport.wrap(page(), 120));
        Files.copy(work.resolve("failover.tsv"), tables.resolve("failover.tsv"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(work.resolve("writes.tsv"), tables.resolve("writes-sync-async.tsv"),
                StandardCopyOption.REPLACE_EXISTING);
        if (Files.exists(work.resolve("sync-window.tsv"))) {
            Files.copy(work.resolve("sync-window.tsv"), tables.resolve("sync-window.tsv"),
                    StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private Attempt attempt(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 13) {
            throw new IllegalArgumentException("failover.tsv: 13 fields expected, got " + f.length + ": " + line);
        }
        Optional<Result> result = "-".equals(f[3]) ? Optional.empty() : Optional.of(new Result("held".equals(f[3]),
                Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6]), Long.parseLong(f[7]),
                Long.parseLong(f[8]), Long.parseLong(f[9]), Long.parseLong(f[10]), Double.parseDouble(f[11]),
                Long.parseLong(f[12])));
        boolean duplicate = result.isEmpty() && output(f[0], f[1]).contains(DUPLICATE);
        return new Attempt(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]), result, duplicate);
    }

    /** A run's output as bench.sh kept it (empty when it is not there). */
    private String output(String scenario, String run) {
        Path file = work.resolve("failover-" + scenario + "-" + run + ".txt");
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String page() {
        return header() + failover() + syncWindow() + writeCost();
    }

    private String header() {
        long started = (long) (double) facts.number("started").orElse(0.0);
        long finished = (long) (double) facts.number("finished").orElse((double) started);
        long changed = (long) (double) facts.number("commit.changed").orElse(0.0);
        return String.format(Locale.ROOT, "# Benchmarks: failover of the primary, synchronous replication\n\n"
                + "Written by `./balance bench failover` (or at the end of `./balance bench`) on %s, from commit"
                + " `%s`%s; the step took %d minutes. **Machine:** %s, %s cores; the load generator runs on the same"
                + " cores as the stack. Every number on this page comes from that run: each failover run is a line of"
                + " [benchmarks/failover.tsv](benchmarks/failover.tsv), each write run one of"
                + " [benchmarks/writes-sync-async.tsv](benchmarks/writes-sync-async.tsv).\n\n",
                facts.get("date"), facts.get("commit"), changed > 0 ? " with uncommitted changes" : "",
                Math.round((finished - started) / 60.0), facts.get("machine.cpu").trim(), facts.get("machine.cores"));
    }

    // ---- write failover ---------------------------------------------------------------------------------------------

    private String failover() {
        StringBuilder s = new StringBuilder("## Write failover of the primary\n\n");
        s.append(String.format(Locale.ROOT, "`./balance demo leader-killed` (the leading member SIGKILLed, not started"
                + " again while the load runs) and `./balance demo leader-frozen` (SIGSTOP, thawed after the failover),"
                + " %s runs each, alternated, each under the demos' load through nginx. **Write failover** is the time"
                + " from the first write answered `503` to the first write accepted after it, as the load generator saw"
                + " their answers. The failure contract bounds writes back after the failure: at most %.0f s from the"
                + " failure command's return to the first accepted write (`ScenarioRun.WRITE_FAILOVER_BOUND_MS`)."
                + " Sums and medians are over the runs that printed their figures.%n%n", facts.get("setting.runs"),
                ScenarioRun.WRITE_FAILOVER_BOUND_MS / 1000));
        for (String scenario : SCENARIOS) {
            s.append("### ").append(scenario).append("\n\n").append(scenarioTable(scenario)).append('\n');
        }
        return s.toString();
    }

    private Table scenarioTable(String scenario) {
        List<Attempt> all = attempts.stream().filter(a -> a.scenario().equals(scenario)).toList();
        List<Result> results = all.stream().map(Attempt::result).flatMap(Optional::stream).toList();
        long duplicates = all.stream().filter(Attempt::duplicate).count();
        long crashed = all.stream().filter(a -> a.result().isEmpty() && !a.duplicate()).count();
        List<Double> failover = results.stream().filter(r -> r.writeFailoverMs() >= 0).map(Result::writeFailoverMs)
                .toList();
        long no503 = results.stream().filter(r -> r.first503Ms() < 0).count();
        long neverBack = results.stream().filter(r -> r.first503Ms() >= 0 && r.writeFailoverMs() < 0).count();
        Table t = new Table();
        t.head("", "");
        t.row("runs", all.size() + (all.stream().anyMatch(a -> a.exit() != 0) ? " (exit status not 0: "
                + all.stream().filter(a -> a.exit() != 0).count() + ")" : ""));
        t.row("held the failure contract", results.stream().filter(Result::held).count() + " of " + all.size());
        t.row("write failover (first 503 → first accepted write): median / min / max", failover.isEmpty() ? "n/a"
                : String.format(Locale.ROOT, "%.0f / %.0f / %.0f ms", Stats.median(failover).getAsDouble(),
                        failover.stream().mapToDouble(Double::doubleValue).min().getAsDouble(),
                        Stats.max(failover).getAsDouble())
                        + (failover.size() < results.size() ? " (" + failover.size() + " runs; without one: " + no503
                                + " with no write refused, " + neverBack + " with writes never back)" : ""));
        t.row("writes back after the failure command: median", ms(median(results, Result::writesBackMs)));
        t.row("acknowledged writes lost (sum)", results.isEmpty() ? "n/a" : String.valueOf(
                results.stream().mapToLong(Result::lost).sum()));
        t.row("rows stored twice", duplicates == 0 ? "none" : "**" + duplicates
                + (duplicates == 1 ? " run**" : " runs**") + " stopped on a duplicate row (the demo throws on one, so"
                + " those runs have no other figures)");
        t.row("unacknowledged but stored (sum)", results.isEmpty() ? "n/a" : String.valueOf(
                results.stream().mapToLong(Result::unacknowledgedStored).sum()));
        t.row("rows on the primary = rows on the replica, every run", results.isEmpty() ? "n/a"
                : results.stream().allMatch(r -> r.storedPrimary() == r.storedReplica()) ? "yes" : "**no**: "
                        + results.stream().map(r -> r.storedPrimary() + " / " + r.storedReplica())
                                .collect(Collectors.joining(", ")));
        t.row("failed member ready to take over again, after the load: median",
                ms(median(results, Result::rejoinedMs)));
        if (crashed > 0) {
            t.row("runs without figures (the demo failed otherwise)", crashed + ": see " + all.stream()
                    .filter(a -> a.result().isEmpty() && !a.duplicate())
                    .map(a -> "`failover-" + scenario + "-" + a.run() + ".txt`").collect(Collectors.joining(", "))
                    + " in the work directory");
        }
        return t;
    }

    /** The median of a figure over the runs where it was measured (-1: it was not). */
    private static OptionalDouble median(List<Result> results, ToDoubleFunction<Result> figure) {
        return Stats.median(results.stream().mapToDouble(figure).filter(v -> v >= 0).boxed().toList());
    }

    // ---- the window after a standby returns ------------------------------------------------------------------------

    /** A line of sync-window.tsv: ms after the standby's start (-1: not seen). */
    record Window(int run, String standby, double runningMs, double namedMs, double readyMs) {
    }

    private String syncWindow() {
        Path file = work.resolve("sync-window.tsv");
        List<Window> windows;
        try {
            windows = Files.exists(file) ? Files.readAllLines(file).stream()
                    .filter(line -> !line.isBlank() && !line.startsWith("run\t")).map(line -> line.split("\t"))
                    .map(f -> new Window(Integer.parseInt(f[0]), f[1], Double.parseDouble(f[2]),
                            Double.parseDouble(f[3]), Double.parseDouble(f[4])))
                    .toList() : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        StringBuilder s = new StringBuilder("## The window after a standby returns\n\n");
        s.append("The standby killed, started again 2 s later, and Patroni's cluster view polled every 100 ms from"
                + " the start: when it shows the standby running again (its return), when etcd names it the"
                + " synchronous standby, and when it is ready to take over as `./balance start` waits for it"
                + " (`postgres/member-ready.sh --hold`: named, caught up, streaming, with the slot's copy, and still so"
                + " a loop later). Between its return and its naming, Patroni promotes nobody: a leader lost then does"
                + " not fail over (docs/architecture.md, \"The window after a standby returns\"). Each run is a line"
                + " of [benchmarks/sync-window.tsv](benchmarks/sync-window.tsv).\n\n");
        if (windows.isEmpty()) {
            return s.append("Not measured in this run.\n\n").toString();
        }
        List<Double> window = windows.stream().filter(w -> w.runningMs() >= 0 && w.namedMs() >= 0)
                .map(w -> w.namedMs() - w.runningMs()).toList();
        Table t = new Table();
        t.head("", "median", "min", "max", "runs");
        t.row(spread("start → running (the standby's return)",
                windows.stream().map(Window::runningMs).filter(v -> v >= 0).toList(), windows.size()));
        t.row(spread("**running → named synchronous in etcd (the window)**", window, windows.size()));
        t.row(spread("start → ready to take over", windows.stream().map(Window::readyMs).filter(v -> v >= 0).toList(),
                windows.size()));
        return s.append(t).append('\n').toString();
    }

    private static String[] spread(String what, List<Double> values, int runs) {
        if (values.isEmpty()) {
            return new String[] {what, "n/a", "n/a", "n/a", "0 of " + runs};
        }
        return new String[] {what, String.format(Locale.ROOT, "%.0f ms", Stats.median(values).getAsDouble()),
                String.format(Locale.ROOT, "%.0f ms", values.stream().mapToDouble(Double::doubleValue).min().getAsDouble()),
                String.format(Locale.ROOT, "%.0f ms", Stats.max(values).getAsDouble()), values.size() + " of " + runs};
    }

    // ---- synchronous replication's cost -----------------------------------------------------------------------------

    private String writeCost() {
        List<Run> sync = writes.stream().filter(r -> r.path().equals("sync")).toList();
        List<Run> async = writes.stream().filter(r -> r.path().equals("async")).toList();
        Table t = new Table();
        t.head("mode", "runs", "median req/s", "median p50 ms", "median p99 ms", "errors", "req/s of each run");
        t.row(modeRow("synchronous (`synchronous_mode: true`, as configured)", sync));
        t.row(modeRow("asynchronous (`synchronous_mode: false`)", async));
        StringBuilder s = new StringBuilder("## What synchronous replication costs writes\n\n");
        s.append(String.format(Locale.ROOT, "`POST /users` through nginx (a new user each time), wrk with 2 threads and"
                + " %s connections for runs of %s s: %s runs with synchronous replication and as many without,"
                + " alternated, after one unrecorded run. Before each run the bench changed Patroni's dynamic"
                + " configuration (`PATCH /config`) and waited until the leader's `synchronous_standby_names` named a"
                + " synchronous standby (sync) or was empty (async); `synchronous_mode` was set back to true"
                + " afterwards.%n%n", facts.get("setting.connections"), facts.get("setting.seconds"),
                facts.get("setting.runs")));
        s.append(t);
        OptionalDouble syncRps = Stats.median(sync.stream().map(Run::rps).toList());
        OptionalDouble asyncRps = Stats.median(async.stream().map(Run::rps).toList());
        OptionalDouble syncP50 = Stats.median(sync.stream().map(Run::p50).toList());
        OptionalDouble asyncP50 = Stats.median(async.stream().map(Run::p50).toList());
        if (syncRps.isPresent() && asyncRps.isPresent()) {
            s.append(String.format(Locale.ROOT, "%nWithout synchronous replication the stack wrote %.2f × the"
                    + " requests/s it wrote with it (median against median), and synchronous replication added %+.2f ms"
                    + " to the median p50 (%.2f against %.2f ms). With synchronous replication each commit returns only"
                    + " once the synchronous standby has flushed its WAL and said so: one more round trip and one more"
                    + " fsync on every write's path, the price of a failover that loses no acknowledged write.%n",
                    asyncRps.getAsDouble() / syncRps.getAsDouble(), syncP50.getAsDouble() - asyncP50.getAsDouble(),
                    syncP50.getAsDouble(), asyncP50.getAsDouble()));
        } else {
            s.append("\nNo comparison: a mode has no run.\n");
        }
        return s.toString();
    }

    private static String[] modeRow(String mode, List<Run> runs) {
        if (runs.isEmpty()) {
            return new String[] {mode, "0", "n/a", "n/a", "n/a", "n/a", "n/a"};
        }
        return new String[] {mode, String.valueOf(runs.size()),
                String.format(Locale.ROOT, "%.0f", Stats.median(runs.stream().map(Run::rps).toList()).getAsDouble()),
                String.format(Locale.ROOT, "%.2f", Stats.median(runs.stream().map(Run::p50).toList()).getAsDouble()),
                String.format(Locale.ROOT, "%.2f", Stats.median(runs.stream().map(Run::p99).toList()).getAsDouble()),
                String.valueOf(runs.stream().mapToLong(Run::errors).sum()),
                runs.stream().map(r -> String.format(Locale.ROOT, "%.0f", r.rps())).collect(Collectors.joining(", "))};
    }

    private static String ms(OptionalDouble value) {
        return value.isPresent() ? String.format(Locale.ROOT, "%.0f ms", value.getAsDouble()) : "n/a";
    }
}
