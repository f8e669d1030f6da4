package org.acme.balance.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A pgbench run's figures in the form of the bench's wrk script (bench/wrk-report.lua): requests and duration from
 * pgbench's output, latency percentiles from its per-transaction log ({@code -l}: the third field of each line is the
 * transaction's latency in microseconds).
 */
final class PgbenchFigures {

    private static final Pattern PROCESSED = Pattern.compile("number of transactions actually processed: (\\d+)");
    private static final Pattern FAILED = Pattern.compile("number of failed transactions: (\\d+)");
    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+)");

    private PgbenchFigures() {
    }

    /** "rate duration_ms requests errors p50 p99 p99.9 replica_reads primary_reads", tab-separated. */
    static String of(Path output, Path logDirectory) throws IOException {
        String text = Files.readString(output);
        long requests = Long.parseLong(find(PROCESSED, text, output));
        long failed = FAILED.matcher(text).find() ? Long.parseLong(find(FAILED, text, output)) : 0;
        double tps = Double.parseDouble(find(TPS, text, output));
        long durationMs = Math.round(requests / tps * 1000);
        long[] latencies = Stats.sorted(latenciesUs(logDirectory));
        return String.format(Locale.ROOT, "0\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t-\t-", durationMs, requests, failed,
                Stats.percentile(latencies, 50) / 1000.0, Stats.percentile(latencies, 99) / 1000.0,
                Stats.percentile(latencies, 99.9) / 1000.0);
    }

    private static String find(Pattern pattern, String text, Path output) {
        Matcher m = pattern.matcher(text);
        if (!m.find()) {
            throw new IllegalArgumentException("pgbench output " + output + ": no match for " + pattern);
        }
        return m.group(1);
    }

    private static long[] latenciesUs(Path directory) throws IOException {
        List<Path> logs;
        try (Stream<Path> files = Files.list(directory)) {
            logs = files.filter(f -> f.getFileName().toString().startsWith("tx")).toList();
        }
        return logs.stream().flatMap(PgbenchFigures::lines).mapToLong(line -> {
            int first = line.indexOf(' ');
            int second = line.indexOf(' ', first + 1);
            int third = line.indexOf(' ', second + 1);
            return Long.parseLong(line.substring(second + 1, third < 0 ? line.length() : third));
        }).toArray();
    }

    private static Stream<String> lines(Path file) {
        try {
            return Files.readAllLines(file).stream().filter(line -> !line.isBlank());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
