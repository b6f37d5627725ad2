package dev.flashj.kv;

import java.util.Arrays;

/**
 * PrefixKV's layer-wise budgets. Each layer has an importance profile: its entries' scores normalized
 * to sum 1 and sorted in decreasing order, accumulated ({@code cum[k]} = share of the layer's importance
 * held by its {@code k} best entries). One threshold {@code p} holds for every layer: layer {@code l}
 * keeps the fewest entries whose share reaches {@code p}. A binary search finds the largest {@code p}
 * whose total fits the global budget; the few entries still left are given, one at a time, to the
 * layer whose next entry has the largest share. The budgets sum to the global budget (or to all entries
 * when that is less).
 */
public final class PrefixKvBudgets {
    private PrefixKvBudgets() {
    }

    /** The cumulative profile of one layer's scores: {@code cum[0] = 0 .. cum[n]} (about 1). */
    public static double[] profile(double[] scores, int from, int to) {
        int n = to - from;
        double[] sorted = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sorted[i] = Math.max(0, scores[from + i]);
            sum += sorted[i];
        }
        Arrays.sort(sorted);
        double[] cum = new double[n + 1];
        for (int k = 0; k < n; k++) {
            double share = sum > 0 ? sorted[n - 1 - k] / sum : 1.0 / n;
            cum[k + 1] = cum[k] + share;
        }
        return cum;
    }

    /** Entries of layer {@code cum} kept at threshold {@code p}: the least k with cum[k] >= p. */
    static int keptAt(double[] cum, double p) {
        int lo = 0;
        int hi = cum.length - 1;
        if (cum[hi] < p) {
            return hi;
        }
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cum[mid] >= p) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    static long total(double[][] cum, double p) {
        long t = 0;
        for (double[] c : cum) {
            t += keptAt(c, p);
        }
        return t;
    }

    /** Per-layer entry counts for profiles {@code cum} (one per layer) and a global budget. */
    public static int[] allocate(double[][] cum, long budget) {
        int layers = cum.length;
        int[] kept = new int[layers];
        long all = 0;
        for (double[] c : cum) {
            all += c.length - 1;
        }
        if (budget >= all) {
            for (int l = 0; l < layers; l++) {
                kept[l] = cum[l].length - 1;
            }
            return kept;
        }
        double lo = 0;
        double hi = 1;
        if (total(cum, hi) <= budget) {
            lo = hi;
        } else {
            // Invariant: total(lo) <= budget < total(hi). Stops when lo and hi are adjacent doubles.
            while (true) {
                double mid = lo + (hi - lo) / 2;
                if (mid <= lo || mid >= hi) {
                    break;
                }
                if (total(cum, mid) <= budget) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
        }
        long used = 0;
        for (int l = 0; l < layers; l++) {
            kept[l] = keptAt(cum[l], lo);
            used += kept[l];
        }
        for (long left = budget - used; left > 0; left--) {
            int best = -1;
            double bestShare = Double.NEGATIVE_INFINITY;
            for (int l = 0; l < layers; l++) {
                if (kept[l] < cum[l].length - 1) {
                    double share = cum[l][kept[l] + 1] - cum[l][kept[l]];
                    if (share > bestShare) {
                        bestShare = share;
                        best = l;
                    }
                }
            }
            kept[best]++;
        }
        return kept;
    }
}
