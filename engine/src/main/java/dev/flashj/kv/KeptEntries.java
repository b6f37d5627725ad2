package dev.flashj.kv;

import java.util.Arrays;

/**
 * The selections of the eviction policies, as plain functions of scores: which entries of a layer
 * survive, per KV head, in ascending order. Ties between equal scores go to the earlier entry.
 */
public final class KeptEntries {
    private KeptEntries() {
    }

    /** StreamingLLM: entries {@code [0, sinks)} and the last {@code recent} of {@code n}. */
    public static int[] window(int n, int sinks, int recent) {
        int keepSinks = Math.min(sinks, n);
        int keepRecent = Math.min(recent, n - keepSinks);
        int[] kept = new int[keepSinks + keepRecent];
        for (int i = 0; i < keepSinks; i++) {
            kept[i] = i;
        }
        for (int i = 0; i < keepRecent; i++) {
            kept[keepSinks + i] = n - keepRecent + i;
        }
        return kept;
    }

    /**
     * Pools {@code scores[0 .. length)} along the sequence with an odd {@code kernel} centred on each
     * entry, stride 1, out-of-range neighbours left out for MAX and counted as zero for AVG (PyTorch's
     * {@code max_pool1d}/{@code avg_pool1d} with padding {@code kernel/2}).
     */
    public static double[] pool(double[] scores, int length, int kernel, EvictionPolicy.Pooling pooling) {
        int half = kernel / 2;
        double[] out = new double[length];
        for (int i = 0; i < length; i++) {
            int from = Math.max(0, i - half);
            int to = Math.min(length - 1, i + half);
            double acc = pooling == EvictionPolicy.Pooling.MAX ? Double.NEGATIVE_INFINITY : 0;
            for (int j = from; j <= to; j++) {
                acc = pooling == EvictionPolicy.Pooling.MAX ? Math.max(acc, scores[j]) : acc + scores[j];
            }
            out[i] = pooling == EvictionPolicy.Pooling.MAX ? acc : acc / kernel;
        }
        return out;
    }

    /** Indices of the {@code k} largest of {@code values[from .. to)}, ascending. */
    public static int[] top(double[] values, int from, int to, int k) {
        Integer[] order = new Integer[to - from];
        for (int i = 0; i < order.length; i++) {
            order[i] = from + i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Double.compare(values[b], values[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] kept = new int[Math.min(k, order.length)];
        for (int i = 0; i < kept.length; i++) {
            kept[i] = order[i];
        }
        Arrays.sort(kept);
        return kept;
    }

    /**
     * SnapKV: for each KV head, the {@code keep - w} prefix entries ({@code [0, n - w)}) with the largest
     * pooled window scores, then the window {@code [n - w, n)}.
     */
    public static int[][] snapKv(double[][] scores, int n, int w, int keep, int kernel, EvictionPolicy.Pooling pooling) {
        int prefix = n - w;
        int[][] kept = new int[scores.length][];
        for (int g = 0; g < scores.length; g++) {
            int[] chosen = top(pool(scores[g], prefix, kernel, pooling), 0, prefix, keep - w);
            kept[g] = concat(chosen, range(prefix, n));
        }
        return kept;
    }

    static int[] range(int from, int to) {
        int[] r = new int[Math.max(0, to - from)];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
