package org.acme.balance.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * One load run as {@code bench.sh} recorded it, a line of {@code runs.tsv}: which path, on which JDK ("" when none),
 * the run's number, the rate it was paced at (0: unpaced), what the load generator measured, the reads of a
 * read-your-writes run by node, the CPU the machine and the load generator spent, and the CPU of each node (hop) in
 * clock ticks, in the order the bench listed them (empty in files written before it measured them).
 */
record Run(String path, String jdk, int run, long rate, long durationMs, long requests, long errors, double p50,
           double p99, double p999, OptionalLong replicaReads, OptionalLong primaryReads, long busyTicks,
           long generatorCpuMs, Map<String, Long> hopTicks) {

    static final String HEADER = "path\tjdk\trun\trate";

    double rps() {
        return requests * 1000.0 / durationMs;
    }

    /** The machine's busy CPU during the run minus the load generator's own, per request. */
    double cpuMsPerRequest(int ticksPerSecond) {
        return (busyTicks * 1000.0 / ticksPerSecond - generatorCpuMs) / requests;
    }

    /** A node's CPU per request, in ms. */
    double hopCpuMsPerRequest(String node, int ticksPerSecond) {
        return hopTicks.getOrDefault(node, 0L) * 1000.0 / ticksPerSecond / requests;
    }

    static List<Run> read(Path file) {
        try {
            return Files.readAllLines(file).stream().filter(line -> !line.isBlank() && !line.startsWith(HEADER))
                    .map(Run::parse).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Run parse(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 14 && f.length != 15) {
            throw new IllegalArgumentException("runs.tsv: 14 or 15 fields expected, got " + f.length + ": " + line);
        }
        return new Run(f[0], f[1], Integer.parseInt(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
                Long.parseLong(f[5]), Long.parseLong(f[6]), Double.parseDouble(f[7]), Double.parseDouble(f[8]),
                Double.parseDouble(f[9]), count(f[10]), count(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]),
                f.length == 15 ? hops(f[14]) : Map.of());
    }

    /** NODE=TICKS,... in the bench's order. */
    static Map<String, Long> hops(String field) {
        Map<String, Long> hops = new LinkedHashMap<>();
        for (String pair : field.split(",")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                hops.put(pair.substring(0, eq), Long.parseLong(pair.substring(eq + 1)));
            }
        }
        return Collections.unmodifiableMap(hops);
    }

    private static OptionalLong count(String field) {
        return "-".equals(field) || field.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(field));
    }
}
