package org.acme.balance.soak;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * Does any resource grow? For each instance (RSS, heap after GC, threads, file descriptors) and each database node
 * (connections), the median of the samples of the soak's first quarter against the median of its last quarter (the
 * warm-up excluded). Growth of more than {@value #MAX_GROWTH_PCT} % fails; for counts (threads, descriptors,
 * connections) the growth must also be more than {@value #MIN_COUNT_GROWTH}: a connection pool of ten that holds one or
 * two more after a failover (it grows with the load's concurrency, and shrinks after 2 idle minutes), or an idle
 * standby's 1 connection becoming 2, is no trend.
 *
 * <p>Each quarter is judged on its samples taken while the topology was whole: a sample inside a failure's stretch (from
 * the failure to whole again + settle) shows a node down and the rest reconnecting (while the replica is down, HAProxy
 * sends the instances' new read connections to the leader, and they move back only as the pools retire them), not a
 * trend. A quarter without such a sample (the 2-minute run's failures come back to back) is judged on all its samples.
 *
 * <p>A restarted instance is a new JVM, which starts small and grows while it warms up: an instance is compared only
 * when one process (one PID) ran from the first quarter to the last; otherwise it is reported as not compared. A
 * database node's connections depend on its role (the leader holds the instances' write pools, a standby almost none),
 * which failovers and switchovers change: a member is compared within the role it had at the end, on the samples of
 * each quarter where it had that role; the leader's and the standby's connections are also compared as roles, whichever
 * member held them.
 */
final class LeakCheck {

    static final double MAX_GROWTH_PCT = 10;
    static final int MIN_COUNT_GROWTH = 2;

    /** PASS and FAIL judge; REPORTED is measured and shown, not judged (runs under 10 minutes: RSS and pools). */
    enum Verdict { PASS, FAIL, NOT_COMPARED, REPORTED }

    static final String SHORT_RUN_POOLS = "reported, not judged under 10 minutes: a pool grows when its instance takes"
            + " another's load or reads fall back to the leader, and gives a connection back only after 2 idle minutes,"
            + " longer than such a run's quarters";
    static final String SHORT_RUN_RSS = "reported, not judged under 10 minutes: a JVM's resident set climbs to a"
            + " high-water mark with each failure's burst for its first minutes (its heap after GC is the live set, judged)";

    record Comparison(String subject, String resource, double first, double last, Verdict verdict, String note) {

        double growthPct() {
            return first == 0 ? (last == 0 ? 0 : Double.POSITIVE_INFINITY) : 100 * (last - first) / first;
        }
    }

    static final String RSS = "RSS (MB)";

    private record Resource(String name, boolean count, ToDoubleFunction<ResourceSample.Instance> value) {
    }

    private static final List<Resource> INSTANCE_RESOURCES = List.of(
            new Resource(RSS, false, i -> i.rssKib() / 1024.0),
            new Resource("heap after GC (MB)", false, i -> i.heapAfterGcBytes() < 0 ? Double.NaN : i.heapAfterGcBytes() / 1048576.0),
            new Resource("threads", true, ResourceSample.Instance::threads),
            new Resource("open files", true, ResourceSample.Instance::fds));

    private final List<ResourceSample> first;
    private final List<ResourceSample> last;
    private final List<ResourceSample> between;

    /**
     * The samples of [FROM, TO] (ms on the load's clock): the soak proper; STRETCHES: when failures lasted, each
     * {from, to}.
     */
    LeakCheck(List<ResourceSample> samples, double fromMs, double toMs, List<double[]> stretches) {
        double quarter = (toMs - fromMs) / 4;
        this.first = steady(samples.stream().filter(s -> s.atMs() >= fromMs && s.atMs() <= fromMs + quarter).toList(),
                stretches);
        this.last = steady(samples.stream().filter(s -> s.atMs() >= toMs - quarter && s.atMs() <= toMs + 1).toList(),
                stretches);
        this.between = samples.stream().filter(s -> s.atMs() >= fromMs && s.atMs() <= toMs + 1).toList();
    }

    /** The quarter's samples outside every failure's stretch; all of them when none is. */
    private static List<ResourceSample> steady(List<ResourceSample> quarter, List<double[]> stretches) {
        List<ResourceSample> whole = quarter.stream()
                .filter(s -> stretches.stream().noneMatch(f -> s.atMs() >= f[0] && s.atMs() <= f[1])).toList();
        return whole.isEmpty() ? quarter : whole;
    }

    /**
     * @param longRun whether the high-water marks are judged, or only reported: RSS, and the connections per node
     *                (mostly the instances' pools). A run under 10 minutes cannot tell their climb after a start or a
     *                failure's burst from a leak; the rest is judged in any run
     */
    List<Comparison> compare(List<String> instances, boolean longRun) {
        List<Comparison> comparisons = new ArrayList<>();
        for (String instance : instances) {
            Set<Long> pids = between.stream().filter(s -> s.instances().containsKey(instance))
                    .map(s -> s.instances().get(instance).pid()).collect(Collectors.toCollection(LinkedHashSet::new));
            boolean missed = between.stream().anyMatch(s -> !s.instances().containsKey(instance));
            for (Resource resource : INSTANCE_RESOURCES) {
                if (pids.size() > 1 || missed) {
                    comparisons.add(new Comparison(instance, resource.name(), Double.NaN, Double.NaN, Verdict.NOT_COMPARED,
                            "restarted during the soak (PIDs " + pids + "): a new JVM grows while it warms up"));
                    continue;
                }
                Comparison c = compare(instance, resource.name(), resource.count(),
                        values(first, s -> s.instances().get(instance), resource.value()),
                        values(last, s -> s.instances().get(instance), resource.value()), "");
                comparisons.add(longRun || !RSS.equals(resource.name()) || c.verdict() == Verdict.NOT_COMPARED ? c
                        : new Comparison(c.subject(), c.resource(), c.first(), c.last(), Verdict.REPORTED, SHORT_RUN_RSS));
            }
        }
        List<Comparison> connections = new ArrayList<>();
        for (String node : ResourceSampler.DATABASE_NODES) {
            List<ResourceSample> measured = last.stream().filter(s -> s.nodes().containsKey(node)).toList();
            if (measured.isEmpty()) {
                connections.add(new Comparison(node, "connections", Double.NaN, Double.NaN, Verdict.NOT_COMPARED,
                        "not measured in the last quarter"));
                continue;
            }
            String role = measured.get(measured.size() - 1).nodes().get(node).role();
            ToDoubleFunction<ResourceSample> inRole = s -> {
                ResourceSample.Node n = s.nodes().get(node);
                return n != null && role.equals(n.role()) ? n.connections() : Double.NaN;
            };
            List<Double> firstValues = values(first, inRole);
            if (firstValues.isEmpty()) {
                connections.add(new Comparison(node, "connections (as " + role + ")", Double.NaN, Double.NaN,
                        Verdict.NOT_COMPARED, "not the " + role + " in the first quarter: compared by role below"));
                continue;
            }
            connections.add(compare(node, "connections (as " + role + ")", true, firstValues, values(last, inRole), ""));
        }
        // the instances' connections to all database nodes together: a read connection that moved from the replica to
        // the leader (or a leader that changed) changes no total; a connection never closed does
        ToDoubleFunction<ResourceSample> all = s -> whole(s) ? s.nodes().values().stream()
                .mapToDouble(ResourceSample.Node::connections).sum() : Double.NaN;
        connections.add(compare("all database nodes", "connections (together)", true, values(first, all), values(last, all),
                ""));
        for (String role : List.of("leader", "standby")) {
            ToDoubleFunction<ResourceSample> ofRole = s -> s.nodes().values().stream().filter(n -> role.equals(n.role()))
                    .mapToDouble(ResourceSample.Node::connections).findFirst().orElse(Double.NaN);
            connections.add(compare("service-db " + role, "connections (whichever member)", true, values(first, ofRole),
                    values(last, ofRole), ""));
        }
        for (Comparison c : connections) {
            comparisons.add(longRun || c.verdict() == Verdict.NOT_COMPARED ? c : new Comparison(c.subject(),
                    c.resource(), c.first(), c.last(), Verdict.REPORTED, SHORT_RUN_POOLS));
        }
        // the connections that are not pooled (each instance's chat listener and heartbeat, Patroni's own, the WAL
        // senders to the standby and to the logical replica) are one each: any more is a leak, whatever the run's length
        for (String client : dedicatedClients()) {
            ToDoubleFunction<ResourceSample> held = s -> whole(s) ? s.nodes().values().stream()
                    .mapToDouble(n -> n.byApplication().entrySet().stream().filter(e -> client.equals(clientOf(e.getKey())))
                            .mapToInt(Map.Entry::getValue).sum()).sum() : Double.NaN;
            List<Double> a = values(first, held);
            List<Double> b = values(last, held);
            if (a.isEmpty() || b.isEmpty()) {
                continue;
            }
            double before = median(a);
            double after = median(b);
            comparisons.add(new Comparison(client, "connections, not pooled (all nodes)", before, after,
                    after > before ? Verdict.FAIL : Verdict.PASS, "must not grow at all"));
        }
        return comparisons;
    }

    /** A sample where every database node answered. */
    private static boolean whole(ResourceSample s) {
        return s.nodes().keySet().containsAll(ResourceSampler.DATABASE_NODES);
    }

    /**
     * The client an application_name stands for: an instance's pools ("users-backend-N") are pooled and not one of
     * these (null); a member's name is its WAL sender to the leader, whichever member that is; others as they are.
     * Unnamed connections (the runner's own psql) are none.
     */
    static String clientOf(String application) {
        if (application.matches("users-backend-\\d+") || "-".equals(application) || "psql".equals(application)) {
            return null;
        }
        if (application.matches("service-db-\\d+")) {
            return "the standby's WAL sender";
        }
        if ("users_sub".equals(application)) {
            return "the logical replica's WAL sender";
        }
        return application;
    }

    private java.util.SortedSet<String> dedicatedClients() {
        java.util.SortedSet<String> clients = new java.util.TreeSet<>();
        for (ResourceSample s : between) {
            s.nodes().values().forEach(n -> n.byApplication().keySet().stream().map(LeakCheck::clientOf)
                    .filter(java.util.Objects::nonNull).forEach(clients::add));
        }
        return clients;
    }

    private static Comparison compare(String subject, String resource, boolean count, List<Double> first,
            List<Double> last, String note) {
        if (first.isEmpty() || last.isEmpty()) {
            return new Comparison(subject, resource, Double.NaN, Double.NaN, Verdict.NOT_COMPARED,
                    "no sample in the " + (first.isEmpty() ? "first" : "last") + " quarter");
        }
        double a = median(first);
        double b = median(last);
        boolean grew = b - a > a * MAX_GROWTH_PCT / 100 && (!count || b - a > MIN_COUNT_GROWTH);
        return new Comparison(subject, resource, a, b, grew ? Verdict.FAIL : Verdict.PASS,
                note.isEmpty() ? String.format(Locale.ROOT, "%d and %d samples", first.size(), last.size()) : note);
    }

    private static <T> List<Double> values(List<ResourceSample> samples, java.util.function.Function<ResourceSample, T> of,
            ToDoubleFunction<T> value) {
        return values(samples, s -> {
            T t = of.apply(s);
            return t == null ? Double.NaN : value.applyAsDouble(t);
        });
    }

    private static List<Double> values(List<ResourceSample> samples, ToDoubleFunction<ResourceSample> value) {
        return samples.stream().mapToDouble(value).filter(v -> !Double.isNaN(v)).boxed().toList();
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** For the report: every sample's value of RESOURCE of an instance, by the report's column order. */
    static Map<String, ToDoubleFunction<ResourceSample.Instance>> instanceColumns() {
        Map<String, ToDoubleFunction<ResourceSample.Instance>> columns = new java.util.LinkedHashMap<>();
        INSTANCE_RESOURCES.forEach(r -> columns.put(r.name(), r.value()));
        return columns;
    }
}
