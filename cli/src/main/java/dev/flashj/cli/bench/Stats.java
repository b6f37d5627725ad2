package dev.flashj.cli.bench;

import java.util.Arrays;

/** Order statistics of a set of run times, in nanoseconds. */
public record Stats(int runs, double median, double p10, double p90, double min) {

    public static Stats of(long[] nanos) {
        if (nanos.length == 0) {
            throw new IllegalArgumentException("no runs");
        }
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return new Stats(sorted.length, quantile(sorted, 0.5), quantile(sorted, 0.1), quantile(sorted, 0.9), sorted[0]);
    }

    /** Linear interpolation between the closest ranks. */
    static double quantile(long[] sorted, double q) {
        double rank = q * (sorted.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
    }
}
