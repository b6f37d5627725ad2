package dev.flashj.ops;

/**
 * Plain float64 references of the attention ops, written straight from their definitions (quadratic
 * forms, explicit windows) and independent of the kernels under test. Layouts as in {@link AttentionOps}.
 */
public final class AttentionReference {
    private AttentionReference() {
    }

    /** φ in double. */
    static double phi(FeatureMap map, double x) {
        return map == FeatureMap.IDENTITY ? x : (x > 0 ? x + 1 : Math.exp(x));
    }

    /**
     * The naive quadratic masked form {@code o_i = Σ_{j<=i} λ^(i-j) (φ(q_i)·φ(k_j)) v_j}, plus, when
     * {@code initialState} [batch, heads, dk, dv] is given, {@code λ^(i+1) φ(q_i) S0}.
     */
    public static double[] lightning(float[] q, float[] k, float[] v, int batch, int tokens, int heads, int kvHeads,
                                     int dk, int dv, float[] decay, FeatureMap map, float[] initialState) {
        double[] out = new double[batch * tokens * heads * dv];
        int group = heads / kvHeads;
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int g = h / group;
                for (int i = 0; i < tokens; i++) {
                    int o = ((b * tokens + i) * heads + h) * dv;
                    int qi = ((b * tokens + i) * heads + h) * dk;
                    for (int j = 0; j <= i; j++) {
                        int kj = ((b * tokens + j) * kvHeads + g) * dk;
                        double dot = 0;
                        for (int d = 0; d < dk; d++) {
                            dot += phi(map, q[qi + d]) * phi(map, k[kj + d]);
                        }
                        double w = dot * Math.pow(decay[h], i - j);
                        int vj = ((b * tokens + j) * kvHeads + g) * dv;
                        for (int e = 0; e < dv; e++) {
                            out[o + e] += w * v[vj + e];
                        }
                    }
                    if (initialState != null) {
                        double carry = Math.pow(decay[h], i + 1);
                        int s0 = (b * heads + h) * dk * dv;
                        for (int d = 0; d < dk; d++) {
                            double c = carry * phi(map, q[qi + d]);
                            for (int e = 0; e < dv; e++) {
                                out[o + e] += c * initialState[s0 + d * dv + e];
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Softmax attention; causal: query i sees keys 0 .. i + (tk - tq). */
    public static double[] attention(float[] q, float[] k, float[] v, int batch, int tq, int tk, int heads, int kvHeads,
                                     int d, boolean causal, double scale) {
        double[] out = new double[batch * tq * heads * d];
        int group = heads / kvHeads;
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < tq; i++) {
                for (int h = 0; h < heads; h++) {
                    int qi = ((b * tq + i) * heads + h) * d;
                    int end = causal ? i + (tk - tq) + 1 : tk;
                    double[] s = new double[end];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < end; j++) {
                        int kj = ((b * tk + j) * kvHeads + h / group) * d;
                        double dot = 0;
                        for (int x = 0; x < d; x++) {
                            dot += (double) q[qi + x] * k[kj + x];
                        }
                        s[j] = dot * scale;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < end; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j < end; j++) {
                        int vj = ((b * tk + j) * kvHeads + h / group) * d;
                        for (int x = 0; x < d; x++) {
                            out[qi + x] += s[j] / sum * v[vj + x];
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * NATTEN's window start for a non-causal axis, written in its own case form (dilation 1: clamp;
     * dilation d: the query's group near the start, the end-of-axis cases by the remainder) rather than
     * the group-coordinate clamp the kernels use.
     */
    static int nattenStart(int i, int length, int kernel, int dilation) {
        int half = kernel / 2;
        if (dilation <= 1) {
            int start = Math.max(i - half, 0);
            return i + half >= length ? length - kernel : start;
        }
        int ni = i - half * dilation;
        if (ni < 0) {
            return i % dilation;
        }
        if (i + half * dilation >= length) {
            int imodd = i % dilation;
            int a = (length / dilation) * dilation;
            int b = length - a;
            return imodd < b ? length - b + imodd - 2 * half * dilation : a + imodd - kernel * dilation;
        }
        return ni;
    }

    /** The positions of the query at {@code i}'s window on one axis, in order. */
    static int[] window(int i, int length, NeighborhoodAxis axis) {
        int k = axis.kernelSize();
        int d = axis.dilation();
        if (axis.causal()) {
            int first = Math.max(i - (k - 1) * d, i % d);
            int n = (i - first) / d + 1;
            int[] w = new int[n];
            for (int x = 0; x < n; x++) {
                w[x] = first + x * d;
            }
            return w;
        }
        int first = nattenStart(i, length, k, d);
        int[] w = new int[k];
        for (int x = 0; x < k; x++) {
            w[x] = first + x * d;
        }
        return w;
    }

    /** Neighborhood attention over {@code sizes} (1 to 3 axes) with windows from {@link #window}. */
    public static double[] neighborhood(float[] q, float[] k, float[] v, int batch, int[] sizes, int heads, int kvHeads,
                                        int d, NeighborhoodSpec spec) {
        int rank = sizes.length;
        int tokens = 1;
        for (int s : sizes) {
            tokens *= s;
        }
        double scale = spec.scaleFor(d);
        double[] out = new double[batch * tokens * heads * d];
        int group = heads / kvHeads;
        int[] pos = new int[rank];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < tokens; t++) {
                int rest = t;
                for (int a = rank - 1; a >= 0; a--) {
                    pos[a] = rest % sizes[a];
                    rest /= sizes[a];
                }
                int[][] windows = new int[rank][];
                int count = 1;
                for (int a = 0; a < rank; a++) {
                    windows[a] = window(pos[a], sizes[a], spec.axis(a));
                    count *= windows[a].length;
                }
                int[] keys = new int[count];
                for (int c = 0; c < count; c++) {
                    int r = c;
                    int key = 0;
                    int[] idx = new int[rank];
                    for (int a = rank - 1; a >= 0; a--) {
                        idx[a] = windows[a][r % windows[a].length];
                        r /= windows[a].length;
                    }
                    for (int a = 0; a < rank; a++) {
                        key = key * sizes[a] + idx[a];
                    }
                    keys[c] = key;
                }
                for (int h = 0; h < heads; h++) {
                    int qi = ((b * tokens + t) * heads + h) * d;
                    double[] s = new double[count];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < count; c++) {
                        int kj = ((b * tokens + keys[c]) * kvHeads + h / group) * d;
                        double dot = 0;
                        for (int x = 0; x < d; x++) {
                            dot += (double) q[qi + x] * k[kj + x];
                        }
                        s[c] = dot * scale;
                        max = Math.max(max, s[c]);
                    }
                    double sum = 0;
                    for (int c = 0; c < count; c++) {
                        s[c] = Math.exp(s[c] - max);
                        sum += s[c];
                    }
                    for (int c = 0; c < count; c++) {
                        int vj = ((b * tokens + keys[c]) * kvHeads + h / group) * d;
                        for (int x = 0; x < d; x++) {
                            out[qi + x] += s[c] / sum * v[vj + x];
                        }
                    }
                }
            }
        }
        return out;
    }
}
