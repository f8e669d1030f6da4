package org.acme.balance.bench;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/** The runs of one bench, and the figures the report takes from them. */
final class Runs {

    /** Two runs in a row within this share of each other: the path is steady (bench.sh's rule). */
    static final double STEADY_WITHIN = 0.05;

    private final List<Run> runs;

    Runs(List<Run> runs) {
        this.runs = List.copyOf(runs);
    }

    List<Run> all() {
        return runs;
    }

    /** The runs of PATH on JDK ("" for none), in the order they ran. */
    List<Run> of(String path, String jdk) {
        return runs.stream().filter(r -> r.path().equals(path) && r.jdk().equals(jdk)).toList();
    }

    /** A steady path's figure: its last run (bench.sh stopped once two in a row were within 5%, or at its limit). */
    Optional<Run> last(String path, String jdk) {
        List<Run> of = of(path, jdk);
        return of.isEmpty() ? Optional.empty() : Optional.of(of.get(of.size() - 1));
    }

    /** Whether the last two runs of the path were within 5% of each other (false: it hit the limit of runs). */
    boolean steadyReached(String path, String jdk) {
        List<Run> of = of(path, jdk);
        if (of.size() < 2) {
            return false;
        }
        double a = of.get(of.size() - 2).rps();
        double b = of.get(of.size() - 1).rps();
        return Math.abs(a - b) < STEADY_WITHIN * a;
    }

    /** The run with the median requests/s. */
    Optional<Run> medianByRps(String path, String jdk) {
        return median(of(path, jdk), Run::rps);
    }

    /** The run with the median p99. */
    Optional<Run> medianByP99(String path, String jdk) {
        return median(of(path, jdk), Run::p99);
    }

    private static Optional<Run> median(List<Run> runs, ToDoubleFunction<Run> by) {
        if (runs.isEmpty()) {
            return Optional.empty();
        }
        List<Run> sorted = runs.stream().sorted(Comparator.comparingDouble(by)).toList();
        return Optional.of(sorted.get(Stats.medianIndex(sorted.size())));
    }
}
