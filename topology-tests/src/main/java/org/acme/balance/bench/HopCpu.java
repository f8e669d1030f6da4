package org.acme.balance.bench;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The CPU budget per hop: for a few runs side by side (the ceiling, one instance, the full stack), what each process of
 * the topology spent per request during the run, from the clock ticks bench.sh read in {@code /proc} before and after
 * it, beside the load generator's own and the rest of the machine (the kernel's network work done for no process,
 * anything else running). Where a request's CPU goes, so that a change can be judged by the hop it moves.
 */
final class HopCpu {

    /** A column: its heading, its run (empty: not measured), and what its load generator was. */
    record Column(String label, Optional<Run> run, String generator) {
    }

    private final int ticksPerSecond;

    HopCpu(int ticksPerSecond) {
        this.ticksPerSecond = ticksPerSecond;
    }

    String table(List<Column> columns) {
        Set<String> hops = new LinkedHashSet<>();
        columns.forEach(c -> c.run().ifPresent(r -> r.hopTicks().forEach((node, ticks) -> {
            if (ticks > 0) {
                hops.add(node);
            }
        })));
        BenchReport.Table t = new BenchReport.Table();
        String[] head = new String[columns.size() + 1];
        head[0] = "CPU ms per request (share of all)";
        for (int i = 0; i < columns.size(); i++) {
            head[i + 1] = columns.get(i).label();
        }
        t.head(head);
        t.row(row("the load generator", columns, c -> c.run().map(r -> (double) r.generatorCpuMs() / r.requests()),
                true));
        for (String hop : hops) {
            t.row(row(hop, columns, c -> c.run().filter(r -> r.hopTicks().containsKey(hop))
                    .map(r -> r.hopCpuMsPerRequest(hop, ticksPerSecond)), true));
        }
        t.row(row("the rest of the machine (kernel, others)", columns, c -> c.run().map(this::restMs), true));
        t.row(row("**all**", columns, c -> c.run().map(this::allMs), false));
        return t.toString();
    }

    /** The machine's busy CPU per request. */
    double allMs(Run r) {
        return r.busyTicks() * 1000.0 / ticksPerSecond / r.requests();
    }

    private double restMs(Run r) {
        long hops = r.hopTicks().values().stream().mapToLong(Long::longValue).sum();
        return allMs(r) - (hops * 1000.0 / ticksPerSecond + r.generatorCpuMs()) / r.requests();
    }

    private String[] row(String label, List<Column> columns, Function<Column, Optional<Double>> value, boolean share) {
        String[] cells = new String[columns.size() + 1];
        cells[0] = label;
        for (int i = 0; i < columns.size(); i++) {
            Column c = columns.get(i);
            cells[i + 1] = value.apply(c).map(ms -> String.format(Locale.ROOT, "%.3f", ms)
                    + (share ? String.format(Locale.ROOT, " (%.0f%%)", 100 * ms / allMs(c.run().orElseThrow())) : "")
                    + ("the load generator".equals(label) ? " " + c.generator() : "")).orElse("");
        }
        return cells;
    }
}
