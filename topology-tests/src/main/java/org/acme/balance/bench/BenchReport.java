package org.acme.balance.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The report of {@code ./balance bench} (infra/balance/bench.sh): reads what the run measured from its work directory
 * ({@code runs.tsv}, {@code results.tsv} and the files they name) and writes {@code docs/benchmarks.md} with the tables
 * the charts are drawn from ({@code docs/benchmarks/paths.tsv}, {@code warmup.tsv}) and copies of the run's data.
 * Every statistic of the page is computed here: medians, percentiles of pgbench's log, ratios, target verdicts.
 * <ul>
 * <li>{@code BenchReport report WORK_DIR OUT_DIR}: the page, after a run;</li>
 * <li>{@code BenchReport pgbench OUTPUT LOG_DIR}: one pgbench run's figures, as bench.sh records them.</li>
 * </ul>
 */
public final class BenchReport {

    /** The targets of issue #21 on this machine. */
    static final double FULL_STACK_RATIO_TARGET = 0.25;
    static final double ALONE_RATIO_TARGET = 0.5;
    static final double HALF_PEAK_P99_TARGET_MS = 10;
    static final double HALF_PEAK_P999_TARGET_MS = 25;
    static final double START_RATIO_TARGET = 0.35;
    static final double RSS_TARGET_MB = 150;
    static final double CHAT_P99_TARGET_MS = 50;

    private final Path work;
    private final Runs runs;
    private final Results results;
    private final int ticksPerSecond;
    /** The JDKs measured, in the order they ran; the last is the one the other paths ran on (the runner's). */
    private final List<String> jdks;
    private final String main;
    private final List<String> serving;

    BenchReport(Path work) {
        this.work = work;
        this.runs = new Runs(Run.read(work.resolve("runs.tsv")));
        this.results = Results.read(work.resolve("results.tsv"));
        this.ticksPerSecond = Integer.parseInt(results.get("machine.clock_ticks"));
        this.jdks = results.all("jdk");
        this.main = results.get("main_jdk");
        this.serving = Arrays.stream(results.get("setting.serving").trim().split("\\s+")).toList();
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 3 && "pgbench".equals(args[0])) {
            System.out.println(PgbenchFigures.of(Path.of(args[1]), Path.of(args[2])));
        } else if (args.length == 3 && "report".equals(args[0])) {
            new BenchReport(Path.of(args[1])).write(Path.of(args[2]));
        } else {
            System.err.println("usage: BenchReport report WORK_DIR OUT_DIR | BenchReport pgbench OUTPUT LOG_DIR");
            System.exit(2);
        }
    }

    void write(Path out) throws IOException {
        Path tables = out.resolve("benchmarks");
        Files.createDirectories(tables);
        Files.writeString(out.resolve("benchmarks.md"), page());
        Files.writeString(tables.resolve("runs.tsv"), runsTable());
        Files.copy(work.resolve("results.tsv"), tables.resolve("results.tsv"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(tables.resolve("paths.tsv"), pathsTable());
        Files.writeString(tables.resolve("warmup.tsv"), warmupTable());
    }

    // ---- the page -------------------------------------------------------------------------------------------------

    String page() {
        StringBuilder page = new StringBuilder();
        page.append(header());
        page.append(targets());
        page.append(jdkComparison());
        StartTimeline.section(results, main, jdkName(main)).ifPresent(page::append);
        page.append(paths());
        page.append(hopCpu());
        page.append(readConsistency());
        page.append(tuning());
        page.append(failover());
        return wrap(page.toString(), 120);
    }

    /**
     * Paragraphs wrapped at WIDTH (tables, headings and images stay one line each); never inside a code span, so
     * that every line's code spans are whole.
     */
    static String wrap(String page, int width) {
        StringBuilder out = new StringBuilder();
        for (String line : page.split("\n", -1)) {
            if (line.length() <= width || line.startsWith("|") || line.startsWith("#") || line.startsWith("!")) {
                out.append(line).append('\n');
                continue;
            }
            StringBuilder current = new StringBuilder();
            int ticks = 0;
            for (String word : line.split(" ")) {
                if (current.length() > 0 && current.length() + 1 + word.length() > width && ticks % 2 == 0) {
                    out.append(current).append('\n');
                    current.setLength(0);
                }
                if (current.length() > 0) {
                    current.append(' ');
                }
                current.append(word);
                ticks += (int) word.chars().filter(c -> c == '`').count();
            }
            out.append(current).append('\n');
        }
        return out.substring(0, out.length() - 1);
    }

    private String header() {
        long started = (long) (double) results.number("started").orElse(0.0);
        long finished = (long) (double) results.number("finished").orElse((double) started);
        String date = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC)
                .format(Instant.ofEpochSecond(finished));
        long changed = (long) (double) results.number("commit.changed").orElse(0.0);
        String users = results.get("setting.users");
        String[] ids = results.get("users.ids").split("-");
        StringBuilder s = new StringBuilder();
        s.append("# Benchmarks\n\n");
        s.append(String.format(Locale.ROOT, "Written by `./balance bench` on %s, from commit `%s`%s; the run took %d"
                + " minutes. Every number on this page comes from that run: each load run is in"
                + " [benchmarks/runs.tsv](benchmarks/runs.tsv), the other measurements in"
                + " [benchmarks/results.tsv](benchmarks/results.tsv). Run it again to get this machine's numbers (settings:"
                + " [operations.md](operations.md#runner-settings)).\n\n", date, results.get("commit"),
                changed > 0 ? " with uncommitted changes in users-service" : "", Math.round((finished - started) / 60.0)));
        s.append(String.format(Locale.ROOT, "**Machine:** %s, %s cores, %.0f GiB RAM, Linux %s, Debian %s. PostgreSQL %s,"
                + " %s, HAProxy %s, %s. The instances' JVM options: `%s`; %s.\n\n",
                results.get("machine.cpu").trim(), results.get("machine.cores"),
                results.number("machine.memory_kib").orElse(0.0) / 1048576, results.get("machine.kernel"),
                results.get("machine.debian"), lastWord(results.get("version.postgres")),
                afterColon(results.get("version.nginx")), word(results.get("version.haproxy"), 2),
                word(results.get("version.wrk"), 0) + " " + word(results.get("version.wrk"), 1),
                results.get("setting.java_opts"),
                jdks.stream().map(j -> jdkName(j) + " is `" + results.get("jdk." + j + ".version") + "`")
                        .collect(Collectors.joining(", "))));
        s.append(String.format(Locale.ROOT, "**Workload:** `GET /users/{id}`, the id drawn at random for every request among"
                + " %s users the bench inserted on the primary with SQL (ids %s to %s) and waited for on the replica;"
                + " `POST /users` creates a new user each time.\n\n", thousands(users), ids[0],
                ids.length > 1 ? ids[1] : "?"));
        s.append(String.format(Locale.ROOT, "**Protocol:** wrk with 2 threads and %s connections for runs of %s s; a path's"
                + " steady figure is its last run once two runs in a row differed by under 5%% (at most %s runs). For each"
                + " JDK, nginx's %d serving instances are restarted on it: the first run (%s s) is the cold figure, %s"
                + " unreported runs warm the JIT up, then the steady runs. The other paths run on the warm instances of"
                + " %s, the runner's choice. The database's ceiling is pgbench on the replica at the same concurrency"
                + " (%s clients, 2 threads), in the same sitting: the query `GET /users/{id}` makes"
                + " (`SELECT id, name, email, created_at, updated_at FROM users.app_user WHERE id = :id`, the id at random"
                + " in the same range, `-M prepared`), and `pgbench -S -M prepared` on pgbench's own tables (scale 10); each"
                + " the median of three runs, the two alternated. Everything runs on this one machine: the load"
                + " generator competes with the system under test for the same %s cores. CPU per request is the whole"
                + " machine's busy time during the run, minus the load generator's own, divided by the requests. All the"
                + " load comes from one address, so nginx's limit per address is raised to %s for the bench.\n\n",
                results.get("setting.connections"), results.get("setting.seconds"), results.get("setting.max_runs"),
                serving.size(), results.get("setting.cold_seconds"), results.get("setting.warmup_runs"), jdkName(main),
                results.get("setting.connections"), results.get("machine.cores"),
                results.get("setting.nginx_rate_limit")));
        s.append(monitoringNote());
        List<String> missing = results.all("jdk.missing");
        if (!missing.isEmpty()) {
            s.append("Not measured: ").append(missing.stream().map(BenchReport::jdkName).collect(Collectors.joining(", ")))
                    .append(" (not installed on this machine).\n\n");
        }
        return s.toString();
    }

    // ---- targets ----------------------------------------------------------------------------------------------------

    private String targets() {
        List<String> others = jdks.stream().filter(j -> !j.equals(main)).toList();
        Table t = new Table();
        List<String> head = new ArrayList<>(List.of("target", "measured: " + jdkName(main) + " (the runner's)", "verdict"));
        others.forEach(j -> head.add(jdkName(j) + ", for comparison"));
        t.head(head.toArray(String[]::new));
        Optional<Run> sameQuery = runs.medianByRps("ceiling.same-query", "");

        // 1. the full stack against the database's ceiling
        List<String> ratio = new ArrayList<>(List.of("1. full-stack `GET /users/{random id}` ≥ 0.25 × pgbench running"
                + " the same query"));
        Optional<Run> full = runs.last("full", main);
        OptionalDouble mainRatio = ratio(full, sameQuery);
        ratio.add(mainRatio.isPresent() ? String.format(Locale.ROOT, "%.2f × (%s req/s against %s)",
                mainRatio.getAsDouble(), rps(full), rps(sameQuery)) : "n/a");
        ratio.add(verdict(mainRatio.isPresent() && mainRatio.getAsDouble() >= FULL_STACK_RATIO_TARGET));
        others.forEach(j -> {
            OptionalDouble r = ratio(runs.last("full", j), sameQuery);
            ratio.add(r.isPresent() ? String.format(Locale.ROOT, "%.2f × (%s req/s)", r.getAsDouble(),
                    rps(runs.last("full", j))) : "n/a");
        });
        t.row(ratio.toArray(String[]::new));

        // 2. one instance alone, its reads straight to the replica
        List<String> direct = new ArrayList<>(List.of("2. one instance alone, straight to the replica, `GET /users/{id}`"
                + " with its database read ≥ 0.5 × the same ceiling"));
        Optional<Run> alone = runs.last("direct", main);
        OptionalDouble aloneRatio = ratio(alone, sameQuery);
        direct.add(aloneRatio.isPresent() ? String.format(Locale.ROOT, "%.2f × (%s req/s)", aloneRatio.getAsDouble(),
                rps(alone)) : "n/a");
        direct.add(verdict(aloneRatio.isPresent() && aloneRatio.getAsDouble() >= ALONE_RATIO_TARGET));
        others.forEach(j -> direct.add("not measured"));
        t.row(direct.toArray(String[]::new));

        // 3. JDK 25 against JDK 17 at steady state
        List<String> jdk = new ArrayList<>(List.of("3. the JDK 25 path at least as fast as the JDK 17 path (full stack,"
                + " steady)"));
        Optional<Run> on25 = runs.last("full", "25");
        Optional<Run> on17 = runs.last("full", "17");
        OptionalDouble jdkRatio = ratio(on25, on17);
        jdk.add(jdkRatio.isPresent() ? String.format(Locale.ROOT, "%s req/s against %s: %.2f ×", rps(on25), rps(on17),
                jdkRatio.getAsDouble()) : "n/a (both JDKs are needed)");
        jdk.add(verdict(jdkRatio.isPresent() && jdkRatio.getAsDouble() >= 1.0));
        others.forEach(j -> jdk.add(""));
        t.row(jdk.toArray(String[]::new));

        // 4. latency at half of the peak, open loop; the rate at which p99 passes 50 ms
        Optional<Run> open = runs.medianByP99("open-half", main);
        Optional<Run> closed = runs.medianByP99("half", main);
        List<String> p99 = new ArrayList<>(List.of("4. open loop (constant rate, latency from each request's due time):"
                + " p99 ≤ 10 ms and p99.9 ≤ 25 ms at half of the peak, full stack (median of 3 runs); and the rate at"
                + " which p99 passes 50 ms"));
        p99.add(open.map(h -> String.format(Locale.ROOT, "p99 %.2f ms, p99.9 %.2f ms at %d req/s; %s (wrk, closed"
                + " loop, at the same rate: p99 %s ms; the generator's own send lag: %s)", h.p99(), h.p999(), h.rate(),
                crossing(), closed.map(c -> ms(c.p99())).orElse("n/a"), sendLag(h.rate()))).orElse("n/a"));
        p99.add(verdict(open.isPresent() && open.get().p99() <= HALF_PEAK_P99_TARGET_MS
                && open.get().p999() <= HALF_PEAK_P999_TARGET_MS));
        others.forEach(j -> p99.add("not measured"));
        t.row(p99.toArray(String[]::new));

        // 5. start, as a ratio to JDK 17 without any cache
        String aot = jdks.stream().filter(j -> Integer.parseInt(j) >= 25).reduce((a, b) -> b).orElse(null);
        List<String> start = new ArrayList<>(List.of("5. start to the first 200 with the cache ≤ 1.0 s on a quiet"
                + " machine, judged as ≤ 0.35 × JDK 17 without any cache (medians of 3 fresh starts)"));
        OptionalDouble plain17 = Stats.median(results.numbers("jdk.17.start.plain"));
        if (aot == null) {
            start.addAll(List.of("no JDK 25 on this machine", "**not measured**"));
        } else {
            OptionalDouble ms = Stats.median(results.numbers("jdk." + aot + ".start.cache"));
            boolean cache = results.get("jdk." + aot + ".cache").contains("AOTCache");
            start.add(ms.isPresent() ? String.format(Locale.ROOT, "%.0f ms%s%s", ms.getAsDouble(),
                    plain17.isPresent() ? String.format(Locale.ROOT, ", %.2f × JDK 17 without a cache (%.0f ms)",
                            ms.getAsDouble() / plain17.getAsDouble(), plain17.getAsDouble()) : "",
                    cache ? "" : "; no AOT cache was made") : "n/a");
            start.add(verdict(cache && ms.isPresent() && plain17.isPresent()
                    && ms.getAsDouble() <= START_RATIO_TARGET * plain17.getAsDouble()));
        }
        others.forEach(j -> start.add(Stats.median(results.numbers("jdk." + j + ".start.cache")).isPresent()
                ? String.format(Locale.ROOT, "%.0f ms with %s", Stats.median(results.numbers("jdk." + j + ".start.cache"))
                        .getAsDouble(), cacheName(j)) : "n/a"));
        t.row(start.toArray(String[]::new));

        // 6. memory
        List<String> rss = new ArrayList<>(List.of("6. RSS ≤ 150 MB per serving instance after the steady runs (PSS"
                + " beside it)"));
        OptionalDouble mainRss = largestRssMb("jdk." + main + ".rss.");
        rss.add(mainRss.isPresent() ? rssList("jdk." + main + ".rss.") + " (PSS, the shared class cache counted"
                + " as a share: " + rssList("jdk." + main + ".pss.") + ")" : "n/a");
        rss.add(verdict(mainRss.isPresent() && mainRss.getAsDouble() <= RSS_TARGET_MB));
        others.forEach(j -> rss.add(rssList("jdk." + j + ".rss.")));
        t.row(rss.toArray(String[]::new));

        // 7. chat
        List<String> chat = new ArrayList<>(List.of("7. chat: p99 ≤ 50 ms from one socket's send to delivery on every"
                + " member, 200 sockets over two instances, 50 messages/s"));
        List<List<String>> chatLines = results.lines("chat.latency");
        if (chatLines.isEmpty()) {
            chat.addAll(List.of("not measured", "**not measured**"));
        } else {
            // sockets messages deliveries missing p50 p99 p99.9 max instances
            List<String> c = chatLines.get(0);
            double chatP99 = Double.parseDouble(c.get(5));
            chat.add(String.format(Locale.ROOT, "p99 %s ms (p50 %s, p99.9 %s, max %s) over %s deliveries of %s messages to"
                    + " %s sockets (%s), %s missing", c.get(5), c.get(4), c.get(6), c.get(7), thousands(c.get(2)),
                    c.get(1), c.get(0), c.size() > 8 ? c.get(8) : "?", c.get(3))
                    + results.lines("chat.latency.first").stream().findFirst().map(f -> String.format(Locale.ROOT,
                            " (the run before it, the instances' first chat since their start, with the JIT still"
                                    + " compiling the chat's paths: p99 %s ms, p50 %s ms, %s missing)",
                            f.get(5), f.get(4), f.get(3))).orElse(""));
            chat.add(verdict(chatP99 <= CHAT_P99_TARGET_MS && "0".equals(c.get(3))));
        }
        others.forEach(j -> chat.add(""));
        t.row(chat.toArray(String[]::new));

        return "## Targets\n\nThe targets of issue #21 on this machine. A target not met is reported with the figure"
                + " measured.\n\n" + t + "\n" + targetReasons();
    }

    /**
     * How late the open-loop generator itself sent its requests at RATE (the worst p99 and max of its runs there): a
     * generator that fell behind its schedule would be measuring itself.
     */
    private String sendLag(long rate) {
        double p99 = -1;
        double max = -1;
        for (List<String> line : results.lines("openloop.sendlag")) {
            if (line.size() >= 3 && line.get(0).equals(String.valueOf(rate))) {
                p99 = Math.max(p99, Double.parseDouble(line.get(1)));
                max = Math.max(max, Double.parseDouble(line.get(2)));
            }
        }
        return p99 < 0 ? "not recorded" : String.format(Locale.ROOT, "p99 %.2f ms, max %.2f ms", p99, max);
    }

    /** Where the open-loop ramp (60 % of the peak and up) first had p99 over 50 ms. */
    private String crossing() {
        List<Run> ramp = runs.of("open-ramp", main);
        Run below = null;
        for (Run run : ramp) {
            if (run.p99() > 50) {
                return String.format(Locale.ROOT, "p99 passes 50 ms between %s and %d req/s (%.0f ms there)",
                        below == null ? "0" : String.valueOf(below.rate()), run.rate(), run.p99());
            }
            below = run;
        }
        return below == null ? "the ramp did not run"
                : String.format(Locale.ROOT, "p99 stayed under 50 ms up to %d req/s, the ramp's top", below.rate());
    }

    /** What each target's figure is made of, from this run's other measurements. */
    private String targetReasons() {
        StringBuilder s = new StringBuilder("What the figures are made of, from this run's other measurements"
                + " (" + jdkName(main) + "):\n\n");
        OptionalDouble start = Stats.median(results.numbers("jdk." + main + ".start.cache"));
        OptionalDouble startedIn = Stats.median(results.numbers("jdk." + main + ".started-in.cache"));
        OptionalDouble plain = Stats.median(results.numbers("jdk." + main + ".start.plain"));
        if (start.isPresent() && startedIn.isPresent() && plain.isPresent()) {
            s.append(String.format(Locale.ROOT, "- **Start:** of the %.0f ms to the first 200, %.0f ms are Quarkus'"
                    + " own start as it logs it (\"started in\": the boot of the framework and its extensions), the rest"
                    + " the JVM before it and the first request. The cache already takes %.0f ms off the start without"
                    + " it (%.0f ms).%n", start.getAsDouble(), startedIn.getAsDouble(),
                    plain.getAsDouble() - start.getAsDouble(), plain.getAsDouble()));
        }
        Optional<Nmt> memory = nmt(results.first("jdk." + main + ".memory.nmt"));
        memory.ifPresent(n -> {
            List<String> parts = n.committedKb().entrySet().stream()
                    .sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(4)
                    .map(e -> e.getKey() + " " + mbOfKb(e.getValue())).toList();
            s.append("- **Memory:** a fresh instance after load commits " + mbOfKb(n.totalKb()) + " by native memory"
                    + " tracking, the largest parts " + String.join(", ", parts) + "; the shared class space is the"
                    + " class cache mapped from its file, the same pages in every instance (hence PSS "
                    + rssList("jdk." + main + ".pss.") + " for RSS " + rssList("jdk." + main + ".rss.") + ").\n");
        });
        Optional<Run> host = runs.last("host", main);
        Optional<Run> instance = runs.last("instance", main);
        Optional<Run> full = runs.last("full", main);
        Optional<Run> sameQuery = runs.medianByRps("ceiling.same-query", "");
        if (host.isPresent() && instance.isPresent() && full.isPresent() && sameQuery.isPresent()) {
            s.append(String.format(Locale.ROOT, "- **Throughput:** one instance answers %s req/s without the database"
                    + " (`/host`, the framework alone) and %s req/s with it; nginx in front of two instances, %s req/s."
                    + " The whole machine spends %.3f ms of CPU per full-stack request against %.3f ms per pgbench"
                    + " transaction of the same query, and the load generator, nginx, both instances, HAProxy and"
                    + " PostgreSQL share its 2 cores.%n", rps(host), rps(instance), rps(full),
                    full.get().cpuMsPerRequest(ticksPerSecond), sameQuery.get().cpuMsPerRequest(ticksPerSecond)));
        }
        Optional<Run> half = runs.medianByP99("half", main);
        half.ifPresent(h -> s.append(String.format(Locale.ROOT, "- **Latency at half of peak:** p50 %.2f ms, p99 %.2f"
                + " ms, p99.9 %.2f ms, paced from the same 2 cores the whole stack runs on.%n", h.p50(), h.p99(), h.p999())));
        return s.append('\n').toString();
    }

    // ---- JDK 17 and JDK 25 ------------------------------------------------------------------------------------------

    private String jdkComparison() {
        Table t = new Table();
        List<String> head = new ArrayList<>(List.of(""));
        jdks.forEach(j -> head.add(jdkName(j)));
        t.head(head.toArray(String[]::new));
        Optional<Run> sameQuery = runs.medianByRps("ceiling.same-query", "");
        t.row(perJdk("the cache of the application's classes", j -> cacheName(j) + " (`" + results.get("jdk." + j
                + ".cache") + "`)"));
        t.row(perJdk("start to the first 200, with the cache: median (3 runs)", j -> startCell(j, "cache")));
        t.row(perJdk("start to the first 200, without it: median (3 runs)", j -> startCell(j, "plain")));
        t.row(perJdk("of which Quarkus' own \"started in\" (median, with / without the cache)",
                j -> medianMs("jdk." + j + ".started-in.cache") + " / " + medianMs("jdk." + j + ".started-in.plain")));
        t.row(perJdk("cold: the first " + results.get("setting.cold_seconds") + " s through nginx after the start",
                j -> runs.last("cold", j).map(c -> String.format(Locale.ROOT, "%s req/s, p99 %.1f ms (%s of steady)",
                        rps(Optional.of(c)), c.p99(), percentOf(c, runs.last("full", j)))).orElse("n/a")));
        t.row(perJdk("steady, full stack (nginx → 2 instances → HAProxy → replica)",
                j -> runs.last("full", j).map(f -> rps(Optional.of(f)) + " req/s" + (runs.steadyReached("full", j) ? ""
                        : " (not steady after " + runs.of("full", j).size() + " runs)")).orElse("n/a")));
        t.row(perJdk("× pgbench running the same query", j -> fmtRatio(ratio(runs.last("full", j), sameQuery))));
        t.row(perJdk("steady: p50 / p99 / p99.9", j -> runs.last("full", j).map(f -> String.format(Locale.ROOT,
                "%.2f / %.2f / %.2f ms", f.p50(), f.p99(), f.p999())).orElse("n/a")));
        t.row(perJdk("steady: CPU per request (whole machine)", j -> runs.last("full", j).map(f -> String.format(
                Locale.ROOT, "%.3f ms", f.cpuMsPerRequest(ticksPerSecond))).orElse("n/a")));
        t.row(perJdk("RSS of each serving instance after the steady runs", j -> rssList("jdk." + j + ".rss.")));
        t.row(perJdk("PSS of each (pages both instances map, such as the class cache, counted as a share)",
                j -> rssList("jdk." + j + ".pss.")));
        t.row(perJdk("a fresh instance after one run of load (native memory tracking on): RSS / committed by NMT",
                j -> String.format(Locale.ROOT, "%s / %s", mb(results.number("jdk." + j + ".memory.rss")),
                        nmt(results.first("jdk." + j + ".memory.nmt")).map(n -> mbOfKb(n.totalKb())).orElse("n/a"))));

        StringBuilder s = new StringBuilder("## JDK 17 and JDK 25\n\n");
        s.append("Each JDK with its own cache of the application's classes: the AppCDS archive `./mvnw package` builds"
                + " (JDK 17), the AOT cache the runner trains once per build on a realistic workload (JDK 25,"
                + " `infra/balance/aot-workload.sh`). The start is timed from `exec java` to the first `200` of"
                + " `GET /users/{id}` on a fresh instance (so it includes the first database connection and query); the"
                + " starts with and without the cache alternate.\n\n");
        s.append(t);
        s.append("\n![Full stack after the start, per JDK](benchmarks/warmup.png)\n\n");
        s.append(nmtTable());
        return s.toString();
    }

    private String startCell(String jdk, String variant) {
        List<Double> starts = results.numbers("jdk." + jdk + ".start." + variant);
        OptionalDouble median = Stats.median(starts);
        return median.isPresent() ? String.format(Locale.ROOT, "%.0f ms (%s)", median.getAsDouble(),
                starts.stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).collect(Collectors.joining(", ")))
                : "n/a";
    }

    private String nmtTable() {
        Map<String, Nmt> byJdk = new LinkedHashMap<>();
        jdks.forEach(j -> nmt(results.first("jdk." + j + ".memory.nmt")).ifPresent(n -> byJdk.put(j, n)));
        if (byJdk.isEmpty()) {
            return "";
        }
        Set<String> categories = new LinkedHashSet<>();
        byJdk.values().forEach(n -> categories.addAll(n.committedKb().keySet()));
        Table t = new Table();
        List<String> head = new ArrayList<>(List.of("category (committed)"));
        byJdk.keySet().forEach(j -> head.add(jdkName(j)));
        t.head(head.toArray(String[]::new));
        categories.stream()
                .sorted(Comparator.comparingLong((String c) -> byJdk.values().stream()
                        .mapToLong(n -> n.committedKb().getOrDefault(c, 0L)).max().orElse(0)).reversed())
                .filter(c -> byJdk.values().stream().anyMatch(n -> n.committedKb().getOrDefault(c, 0L) >= 1024))
                .forEach(c -> {
                    List<String> row = new ArrayList<>(List.of(c));
                    byJdk.values().forEach(n -> row.add(n.committedKb().containsKey(c) ? mbOfKb(n.committedKb().get(c))
                            : "–"));
                    t.row(row.toArray(String[]::new));
                });
        List<String> total = new ArrayList<>(List.of("**total**"));
        byJdk.values().forEach(n -> total.add("**" + mbOfKb(n.totalKb()) + "**"));
        t.row(total.toArray(String[]::new));
        return "Where a fresh instance's memory is after one run of load, by the JVM's native memory tracking"
                + " (categories of 1 MB or more; the RSS beside it is above):\n\n" + t + "\n";
    }

    // ---- paths ------------------------------------------------------------------------------------------------------

    private String paths() {
        Optional<Run> sameQuery = runs.medianByRps("ceiling.same-query", "");
        Optional<Run> selectOnly = runs.medianByRps("ceiling.select-only", "");
        Optional<Run> direct = runs.last("direct", main);
        Optional<Run> instance = runs.last("instance", main);
        Optional<Run> host = runs.last("host", main);
        Optional<Run> full = runs.last("full", main);
        Optional<Run> post = runs.last("post", main);
        Table t = new Table();
        t.head("path", "req/s", "× same query", "× pgbench -S", "p50 ms", "p99 ms", "p99.9 ms", "CPU ms/request",
                "errors");
        t.row(pathRow("pgbench, the same query, replica (the ceiling)", sameQuery, sameQuery, selectOnly, ""));
        t.row(pathRow("pgbench -S, replica", selectOnly, sameQuery, selectOnly, ""));
        t.row(pathRow("one instance, read datasource straight to the replica", direct, sameQuery, selectOnly,
                steadyNote("direct", main)));
        t.row(pathRow("one instance → HAProxy :5001 → replica", instance, sameQuery, selectOnly,
                steadyNote("instance", main)));
        t.row(pathRow("one instance, `GET /host` (no database: the framework alone)", host, sameQuery, selectOnly,
                steadyNote("host", main)));
        t.row(pathRow("**nginx → 2 instances → HAProxy → replica** (full stack)", full, sameQuery, selectOnly,
                steadyNote("full", main)));
        for (String j : jdks) {
            if (!j.equals(main)) {
                t.row(pathRow("full stack, " + jdkName(j), runs.last("full", j), sameQuery, selectOnly,
                        steadyNote("full", j)));
            }
        }
        t.row(pathRow("`POST /users`: nginx → 2 instances → HAProxy :5000 → primary", post, Optional.empty(),
                Optional.empty(), steadyNote("post", main)));

        StringBuilder s = new StringBuilder("## Throughput and latency per path\n\n");
        s.append("Steady figures, the instances on ").append(jdkName(main)).append(". The pgbench rows are the median of"
                + " their three runs. `GET /users/{random id}` on every read path; `POST /users` creates a user each"
                + " time.\n\n");
        s.append(t);
        s.append("\n![Throughput per path](benchmarks/throughput.png)\n\n![Latency per path](benchmarks/latency.png)\n\n");
        s.append("What each hop costs, from the steady figures: HAProxy between an instance and the replica ")
                .append(change(direct, instance)).append(" throughput; nginx in front of two instances instead of one"
                        + " instance directly ").append(change(instance, full)).append(".\n\n");
        Optional<Run> half = runs.medianByP99("half", main);
        s.append(String.format(Locale.ROOT, "Latency at half of the peak: three runs through nginx paced at %s req/s"
                + " (half of the steady full-stack figure; each connection's pause drawn at random, Poisson arrivals),"
                + " right after the steady runs: p99 %s ms; the median run: p50 %s ms, p99 %s ms, p99.9 %s ms.\n\n",
                results.get("half.rate"), runs.of("half", main).stream().map(r -> String.format(Locale.ROOT, "%.2f",
                        r.p99())).collect(Collectors.joining(", ")),
                half.map(h -> ms(h.p50())).orElse("n/a"), half.map(h -> ms(h.p99())).orElse("n/a"),
                half.map(h -> ms(h.p999())).orElse("n/a")));
        return s.toString();
    }

    /** Whether the monitoring ran beside the runs (issue #22: the bench runs with it on and says so). */
    private String monitoringNote() {
        List<List<String>> lines = results.lines("setting.monitoring");
        if (lines.isEmpty()) {
            return "**Monitoring:** not recorded (a run from before the monitoring existed).\n\n";
        }
        List<String> m = lines.get(0);
        if (!"on".equals(m.get(0))) {
            return "**Monitoring:** off for this run (`BALANCE_MONITORING=off`).\n\n";
        }
        return String.format(Locale.ROOT, "**Monitoring:** on during every run, as `./balance up` starts it: Prometheus"
                + " scraping %s targets every %s, and its exporters ([operations.md](operations.md#monitoring)). Their"
                + " CPU is the `monitoring` row of the CPU table below; the tuning pair \"monitoring\" measures the same"
                + " instances with them stopped.\n\n", m.size() > 2 ? m.get(2) : "?", m.size() > 1 ? m.get(1) : "?");
    }

    private String hopCpu() {
        Optional<Run> sameQuery = runs.medianByRps("ceiling.same-query", "");
        Optional<Run> direct = runs.last("direct", main);
        Optional<Run> instance = runs.last("instance", main);
        Optional<Run> full = runs.last("full", main);
        if (full.map(r -> r.hopTicks().isEmpty()).orElse(true)) {
            return "";
        }
        StringBuilder s = new StringBuilder("## Where the CPU goes\n\n");
        s.append("The CPU each process spent per request during the steady runs above, from `/proc` before and after"
                + " each run: nginx (its workers), each instance (its JVM), HAProxy, each PostgreSQL node (a member:"
                + " Patroni and its PostgreSQL with every backend; the replica: its server and its guard), etcd; the"
                + " load generator's own CPU; and the rest of the machine's busy time (mostly the kernel's loopback"
                + " network work done in no process's name). The ceiling's column is pgbench on the replica.\n\n");
        s.append(new HopCpu(ticksPerSecond).table(List.of(
                new HopCpu.Column("pgbench, the same query (ceiling)", sameQuery, "(pgbench)"),
                new HopCpu.Column("one instance, straight to the replica", direct, "(wrk)"),
                new HopCpu.Column("one instance → HAProxy → replica", instance, "(wrk)"),
                new HopCpu.Column("full stack: nginx → 2 instances → HAProxy → replica", full, "(wrk)"))));
        return s.append('\n').toString();
    }

    private String[] pathRow(String label, Optional<Run> run, Optional<Run> sameQuery, Optional<Run> selectOnly,
                             String note) {
        if (run.isEmpty()) {
            return new String[] {label, "n/a", "", "", "", "", "", "", ""};
        }
        Run r = run.get();
        return new String[] {label, rps(run) + note, fmtRatio(ratio(run, sameQuery)), fmtRatio(ratio(run, selectOnly)),
            ms(r.p50()), ms(r.p99()), ms(r.p999()), String.format(Locale.ROOT, "%.3f", r.cpuMsPerRequest(ticksPerSecond)),
            String.valueOf(r.errors())};
    }

    private String steadyNote(String path, String jdk) {
        return runs.of(path, jdk).isEmpty() || runs.steadyReached(path, jdk) ? ""
                : " (not steady after " + runs.of(path, jdk).size() + " runs)";
    }

    // ---- read consistency -------------------------------------------------------------------------------------------

    private String readConsistency() {
        Optional<Run> full = runs.last("full", main);
        Optional<Run> token = runs.last("token", main);
        Optional<Run> ryw = runs.last("ryw", main);
        Table t = new Table();
        t.head("", "req/s", "p50 ms", "p99 ms", "CPU ms/request", "errors");
        t.row(consistencyRow("`GET /users/{random id}` via nginx, no token", full));
        t.row(consistencyRow("the same, with a token the replica has applied", token));
        t.row(consistencyRow("create, then read it back at once with its token (both requests count)", ryw));

        StringBuilder s = new StringBuilder("## Read consistency\n\n");
        s.append("A read that carries a Consistency-Token ([architecture.md](architecture.md#read-consistency-a-logical-"
                + "replica-you-can-read-from)) is served by the replica only once it has applied the token's position;"
                + " otherwise it waits up to the token wait and then reads from the primary. On ")
                .append(jdkName(main)).append(", steady figures:\n\n");
        s.append(t).append('\n');
        s.append("The token check when the replica has the position already: ").append(change(full, token))
                .append(" throughput against no token.");
        if (ryw.isPresent() && ryw.get().replicaReads().isPresent()) {
            long replica = ryw.get().replicaReads().getAsLong();
            long primary = ryw.get().primaryReads().orElse(0);
            s.append(String.format(Locale.ROOT, " Read-your-writes under write load (the steady run): of the %d reads"
                    + " of a user just created, the replica served %d and the primary %d: **%.1f%% went to the"
                    + " primary** (the replica had not applied the create within the token wait).", replica + primary,
                    replica, primary, replica + primary == 0 ? 0 : 100.0 * primary / (replica + primary)));
        }
        List<Double> lag = results.numbers("lag");
        if (!lag.isEmpty()) {
            s.append(String.format(Locale.ROOT, " The replica's lag during that load, as users-backend-1 measured it"
                    + " every 200 ms (the age of its newest heartbeat on the replica, which includes up to one heartbeat"
                    + " interval): median %.0f ms, largest %.0f ms (%d samples).", Stats.median(lag).getAsDouble() * 1000,
                    Stats.max(lag).getAsDouble() * 1000, lag.size()));
        }
        return s.append("\n\n").toString();
    }

    private String[] consistencyRow(String label, Optional<Run> run) {
        return run.map(r -> new String[] {label, rps(run), ms(r.p50()), ms(r.p99()),
            String.format(Locale.ROOT, "%.3f", r.cpuMsPerRequest(ticksPerSecond)), String.valueOf(r.errors())})
                .orElse(new String[] {label, "n/a", "", "", "", ""});
    }

    // ---- tuning -----------------------------------------------------------------------------------------------------

    private String tuning() {
        StringBuilder s = new StringBuilder("## Tuning, before and after\n\n");
        s.append(String.format(Locale.ROOT, "Both sides of each change measured in this run, the same way: nginx's"
                + " serving instances restarted on %s with the side's settings (and native memory tracking on), %s"
                + " warm-up runs, the steady figure at full speed (as above), three runs at half of the peak (%s req/s; the median by p99), then"
                + " the RSS, the PSS and the memory committed by NMT of the larger instance. A side shared by several changes is"
                + " measured once. The changes are the list `bench_pairs` in"
                + " [infra/balance/bench.sh](../infra/balance/bench.sh): one line each, the settings of either side as"
                + " environment variables or JVM options.\n\n", jdkName(main), results.get("setting.pair_warmup_runs"),
                results.get("half.rate")));
        Table t = new Table();
        t.head("change", "before → after", "req/s", "p99 ms", "CPU ms/request", "p99 ms at half of peak", "RSS MB",
                "PSS MB", "NMT committed MB");
        for (List<String> pair : results.lines("pair")) {
            String before = pair.get(1);
            String after = pair.get(2);
            Side b = side(before);
            Side a = side(after);
            t.row(pair.get(0), settings(before) + " → " + settings(after),
                    beforeAfter(b.full.map(Run::rps), a.full.map(Run::rps), "%.0f", true),
                    beforeAfter(b.full.map(Run::p99), a.full.map(Run::p99), "%.2f", false),
                    beforeAfter(b.full.map(r -> r.cpuMsPerRequest(ticksPerSecond)),
                            a.full.map(r -> r.cpuMsPerRequest(ticksPerSecond)), "%.3f", false),
                    beforeAfter(b.half.map(Run::p99), a.half.map(Run::p99), "%.2f", false),
                    beforeAfter(b.rssMb, a.rssMb, "%.0f", false),
                    beforeAfter(b.pssMb, a.pssMb, "%.0f", false),
                    beforeAfter(b.nmtMb, a.nmtMb, "%.0f", false));
        }
        s.append(t);
        for (List<String> skipped : results.lines("pair.skipped")) {
            s.append("\nNot measured: ").append(skipped.get(0)).append(" (the JDK refuses the JVM options).\n");
        }
        if (jdks.size() > 1 || jdks.stream().anyMatch(j -> !results.get("jdk." + j + ".cache").equals("none"))) {
            Table d = new Table();
            d.head("change", "before", "after");
            for (String j : jdks) {
                if (!results.get("jdk." + j + ".cache").equals("none")) {
                    d.row(cacheName(j) + " on " + jdkName(j) + ": start to the first 200 (median)",
                            medianMs("jdk." + j + ".start.plain") + " without", medianMs("jdk." + j + ".start.cache")
                                    + " with");
                }
            }
            if (jdks.size() > 1) {
                String from = jdks.get(0);
                String to = jdks.get(jdks.size() - 1);
                String name = jdkName(to) + " + " + cacheName(to) + " instead of " + jdkName(from) + " + "
                        + cacheName(from);
                d.row(name + ": start (median)", medianMs("jdk." + from + ".start.cache"),
                        medianMs("jdk." + to + ".start.cache"));
                d.row(name + ": cold, first " + results.get("setting.cold_seconds") + " s",
                        rps(runs.last("cold", from)) + " req/s", rps(runs.last("cold", to)) + " req/s");
                d.row(name + ": steady full stack", runs.last("full", from).map(r -> rps(Optional.of(r)) + " req/s, p99 "
                        + ms(r.p99()) + " ms").orElse("n/a"), runs.last("full", to).map(r -> rps(Optional.of(r))
                        + " req/s, p99 " + ms(r.p99()) + " ms").orElse("n/a"));
                d.row(name + ": RSS per serving instance", rssList("jdk." + from + ".rss."),
                        rssList("jdk." + to + ".rss."));
            }
            s.append("\nFrom the JDK measurements above:\n\n").append(d);
        }
        return s.append('\n').toString();
    }

    private record Side(Optional<Run> full, Optional<Run> half, Optional<Double> rssMb, Optional<Double> pssMb,
            Optional<Double> nmtMb) {
    }

    private Side side(String n) {
        String jdk = main;
        OptionalDouble rss = largestRssMb("side." + n + ".rss.");
        OptionalDouble pss = largestRssMb("side." + n + ".pss.");
        Optional<Double> nmtMb = serving.stream().map(node -> nmt(results.first("side." + n + ".nmt." + node)))
                .flatMap(Optional::stream).map(m -> m.totalKb() / 1024.0).max(Double::compare);
        return new Side(runs.last("side." + n + ".full", jdk), runs.medianByP99("side." + n + ".half", jdk),
                rss.isPresent() ? Optional.of(rss.getAsDouble()) : Optional.empty(),
                pss.isPresent() ? Optional.of(pss.getAsDouble()) : Optional.empty(), nmtMb);
    }

    private String settings(String side) {
        String value = results.first("side." + side + ".settings").orElse("");
        return value.isBlank() ? "as configured" : "`" + value + "`";
    }

    private static String beforeAfter(Optional<Double> before, Optional<Double> after, String format, boolean more) {
        if (before.isEmpty() || after.isEmpty()) {
            return "n/a";
        }
        double b = before.get();
        double a = after.get();
        return String.format(Locale.ROOT, format + " → " + format + " (%+.0f%%)", b, a, b == 0 ? 0 : 100 * (a - b) / b);
    }

    // ---- failover ---------------------------------------------------------------------------------------------------

    private static final Pattern CONTRACT_HELD = Pattern.compile("failure contract: held");

    private String failover() {
        String replica = failoverText("failover-replica");
        String leader = failoverText("leader-killed");
        Table t = new Table();
        t.head("", "");
        t.row("replica killed: reads served by the primary", found(replica,
                "reads on the primary (\\S+) ms after the failure", " ms after the kill"));
        t.row("replica restarted: every read back on the replica", found(replica,
                "all reads back on the replica (\\S+) ms after it returned", " ms after it accepted connections"));
        t.row("leader killed: first write answered 503", found(leader, "first write 503 (\\S+) ms after the kill",
                " ms after the kill"));
        t.row("leader killed: writes accepted again (the standby promoted)", found(leader,
                "writes accepted again (\\S+) ms after it returned", " ms after the kill returned"));
        t.row("leader killed: write failover (first 503 → first accepted write)", found(leader,
                "first 503 to first accepted write: (\\S+) ms", " ms"));
        t.row("the failure contract ([architecture.md](architecture.md#the-failure-contract))",
                "failover-replica: " + held(replica) + "; leader-killed: " + held(leader));
        return "## Failover, from this run's demos\n\n`./balance demo failover-replica` and `./balance demo"
                + " leader-killed` under the demos' load, after the measurements above (charts in"
                + " `.balance/timelines/` by default); repeated runs of leader-killed and leader-frozen, and what"
                + " synchronous replication costs writes: [benchmarks-failover.md](benchmarks-failover.md).\n\n" + t;
    }

    private String failoverText(String scenario) {
        List<List<String>> lines = results.lines("failover." + scenario);
        if (lines.isEmpty()) {
            return "";
        }
        try {
            return Files.readString(work.resolve(lines.get(0).get(0)));
        } catch (IOException e) {
            return "";
        }
    }

    private static String found(String text, String regex, String suffix) {
        Matcher m = Pattern.compile(regex).matcher(text);
        return m.find() ? m.group(1) + suffix : "n/a";
    }

    private static String held(String text) {
        if (text.isEmpty()) {
            return "not run";
        }
        return CONTRACT_HELD.matcher(text).find() && !text.contains("VIOLATED") ? "held" : "**violated** (see the demo)";
    }

    // ---- the tables beside the page ---------------------------------------------------------------------------------

    private String runsTable() {
        StringBuilder s = new StringBuilder("path\tjdk\trun\trate\treq/s\trequests\terrors\tp50_ms\tp99_ms\tp99.9_ms"
                + "\tcpu_ms_per_request\treplica_reads\tprimary_reads\n");
        for (Run r : runs.all()) {
            s.append(String.format(Locale.ROOT, "%s\t%s\t%d\t%d\t%.0f\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.3f\t%s\t%s%n",
                    r.path(), r.jdk().isEmpty() ? "-" : r.jdk(), r.run(), r.rate(), r.rps(), r.requests(), r.errors(),
                    r.p50(), r.p99(), r.p999(), r.cpuMsPerRequest(ticksPerSecond),
                    r.replicaReads().isPresent() ? String.valueOf(r.replicaReads().getAsLong()) : "-",
                    r.primaryReads().isPresent() ? String.valueOf(r.primaryReads().getAsLong()) : "-"));
        }
        return s.toString();
    }

    /** The chart of the paths: key, label, req/s, requests, errors, p50, p99, p99.9, CPU ms/request. */
    private String pathsTable() {
        StringBuilder s = new StringBuilder();
        Function<Optional<Run>, String> line = run -> run.map(r -> String.format(Locale.ROOT,
                "\t%.0f\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.3f%n", r.rps(), r.requests(), r.errors(), r.p50(), r.p99(), r.p999(),
                r.cpuMsPerRequest(ticksPerSecond))).orElse(null);
        Map<String, Optional<Run>> rows = new LinkedHashMap<>();
        rows.put("same-query\tpgbench, same query", runs.medianByRps("ceiling.same-query", ""));
        rows.put("select-only\tpgbench -S", runs.medianByRps("ceiling.select-only", ""));
        rows.put("direct\tinstance, replica direct", runs.last("direct", main));
        rows.put("instance\tinstance → HAProxy", runs.last("instance", main));
        rows.put("host\tinstance, /host (no DB)", runs.last("host", main));
        for (String j : jdks) {
            rows.put("full-" + j + "\tnginx → 2 instances, " + jdkName(j), runs.last("full", j));
        }
        rows.put("post\tPOST via nginx", runs.last("post", main));
        rows.forEach((label, run) -> {
            String figures = line.apply(run);
            if (figures != null) {
                s.append(label).append(figures);
            }
        });
        return s.toString();
    }

    /**
     * The chart of the start: per JDK, the req/s of the cold run, the warm-up runs and the steady runs, against the
     * seconds of load at the end of each (nominal run lengths), a column each.
     */
    private String warmupTable() {
        List<List<Run>> series = new ArrayList<>();
        for (String j : jdks) {
            List<Run> one = new ArrayList<>(runs.of("cold", j));
            one.addAll(runs.of("warmup", j));
            one.addAll(runs.of("full", j));
            series.add(one);
        }
        int rows = series.stream().mapToInt(List::size).max().orElse(0);
        double cold = Double.parseDouble(results.get("setting.cold_seconds"));
        double seconds = Double.parseDouble(results.get("setting.seconds"));
        StringBuilder s = new StringBuilder("seconds");
        jdks.forEach(j -> s.append('\t').append(jdkName(j)).append(" + ").append(cacheName(j)));
        s.append('\n');
        for (int i = 0; i < rows; i++) {
            s.append(String.format(Locale.ROOT, "%.0f", cold + i * seconds));
            for (List<Run> one : series) {
                s.append('\t').append(i < one.size() ? String.format(Locale.ROOT, "%.0f", one.get(i).rps()) : "-");
            }
            s.append('\n');
        }
        return s.toString();
    }

    // ---- formatting -------------------------------------------------------------------------------------------------

    private String[] perJdk(String label, Function<String, String> cell) {
        List<String> row = new ArrayList<>(List.of(label));
        jdks.forEach(j -> row.add(cell.apply(j)));
        return row.toArray(String[]::new);
    }

    static String jdkName(String jdk) {
        return "JDK " + jdk;
    }

    private String cacheName(String jdk) {
        String cache = results.get("jdk." + jdk + ".cache");
        if (cache.contains("AOTCache")) {
            return "AOT cache";
        }
        if (cache.contains("SharedArchiveFile")) {
            return "AppCDS";
        }
        return "no cache";
    }

    private Optional<Nmt> nmt(Optional<String> file) {
        try {
            return file.isEmpty() ? Optional.empty() : Nmt.read(work.resolve(file.get()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private OptionalDouble largestRssMb(String prefix) {
        return serving.stream().map(node -> results.number(prefix + node)).flatMap(Optional::stream)
                .mapToDouble(kib -> kib / 1024).max();
    }

    private String rssList(String prefix) {
        List<String> values = serving.stream().map(node -> results.number(prefix + node)).flatMap(Optional::stream)
                .map(kib -> String.format(Locale.ROOT, "%.0f", kib / 1024)).toList();
        return values.isEmpty() ? "n/a" : String.join(", ", values) + " MB";
    }

    private String medianMs(String key) {
        OptionalDouble median = Stats.median(results.numbers(key));
        return median.isPresent() ? String.format(Locale.ROOT, "%.0f ms", median.getAsDouble()) : "n/a";
    }

    private static OptionalDouble ratio(Optional<Run> run, Optional<Run> base) {
        return run.isPresent() && base.isPresent() ? OptionalDouble.of(run.get().rps() / base.get().rps())
                : OptionalDouble.empty();
    }

    private static String fmtRatio(OptionalDouble ratio) {
        return ratio.isPresent() ? String.format(Locale.ROOT, "%.2f", ratio.getAsDouble()) : "–";
    }

    private static String percentOf(Run run, Optional<Run> base) {
        return base.map(b -> String.format(Locale.ROOT, "%.0f%%", 100 * run.rps() / b.rps())).orElse("n/a");
    }

    private static String change(Optional<Run> from, Optional<Run> to) {
        return from.isPresent() && to.isPresent() ? String.format(Locale.ROOT, "%+.1f%%",
                100 * (to.get().rps() - from.get().rps()) / from.get().rps()) : "n/a";
    }

    private static String rps(Optional<Run> run) {
        return run.map(r -> String.format(Locale.ROOT, "%.0f", r.rps())).orElse("n/a");
    }

    private static String ms(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    private static String mb(Optional<Double> kib) {
        return kib.map(k -> String.format(Locale.ROOT, "%.0f MB", k / 1024)).orElse("n/a");
    }

    private static String mbOfKb(long kb) {
        return String.format(Locale.ROOT, "%.0f MB", kb / 1024.0);
    }

    private static String verdict(boolean met) {
        return met ? "**met**" : "**not met**";
    }

    private static String thousands(String number) {
        try {
            return String.format(Locale.ROOT, "%,d", Long.parseLong(number.trim()));
        } catch (NumberFormatException e) {
            return number;
        }
    }

    private static String word(String text, int index) {
        String[] words = text.trim().split("\\s+");
        return index < words.length ? words[index] : "?";
    }

    private static String lastWord(String text) {
        String[] words = text.trim().split("\\s+");
        return words[words.length - 1];
    }

    private static String afterColon(String text) {
        int colon = text.indexOf(": ");
        return colon < 0 ? text.trim() : text.substring(colon + 2).trim();
    }

    /** A Markdown table. */
    /** A Markdown table (the soak's report writes its tables with it too). */
    public static final class Table {
        private final StringBuilder text = new StringBuilder();

        public Table head(String... cells) {
            row(cells);
            text.append("|").append("---|".repeat(cells.length)).append('\n');
            return this;
        }

        public Table row(String... cells) {
            text.append("| ").append(Arrays.stream(cells).map(c -> c.replace("|", "\\|"))
                    .collect(Collectors.joining(" | "))).append(" |\n");
            return this;
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }
}
