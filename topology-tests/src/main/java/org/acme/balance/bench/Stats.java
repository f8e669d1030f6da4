package org.acme.balance.bench;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;

/** The statistics of the report: medians and percentiles, the nearest-rank way. */
final class Stats {

    private Stats() {
    }

    /** Of N sorted values, the index of the median (the lower one of two). */
    static int medianIndex(int n) {
        return (n - 1) / 2;
    }

    static OptionalDouble median(List<Double> values) {
        if (values.isEmpty()) {
            return OptionalDouble.empty();
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return OptionalDouble.of(sorted[medianIndex(sorted.length)]);
    }

    static OptionalDouble max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max();
    }

    /** The nearest-rank percentile P (0 < P <= 100) of SORTED: the smallest value with at least P% at or below it. */
    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }

    static long[] sorted(long[] values) {
        long[] copy = values.clone();
        Arrays.sort(copy);
        return copy;
    }
}
