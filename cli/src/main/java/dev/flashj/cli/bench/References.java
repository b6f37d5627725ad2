package dev.flashj.cli.bench;

import dev.flashj.ops.NeighborhoodAxis;

/**
 * Plain float64 references for single output rows, so that the CPU cases can check a sample of
 * their output cheaply (the whole output would cost as much as the op).
 */
final class References {
    private References() {
    }

    /**
     * Softmax attention of the query vector at {@code q[qAt ..]} over the keys and values at
     * offsets {@code keyAt} (each a vector of {@code d}), scaled by {@code scale}.
     */
    static double[] softmaxRow(float[] q, int qAt, float[] k, float[] v, int[] keyAt, int d, double scale) {
        double[] scores = new double[keyAt.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < keyAt.length; j++) {
            double s = 0;
            for (int c = 0; c < d; c++) {
                s += (double) q[qAt + c] * k[keyAt[j] + c];
            }
            scores[j] = s * scale;
            max = Math.max(max, scores[j]);
        }
        double sum = 0;
        double[] out = new double[d];
        for (int j = 0; j < keyAt.length; j++) {
            double p = Math.exp(scores[j] - max);
            sum += p;
            for (int c = 0; c < d; c++) {
                out[c] += p * v[keyAt[j] + c];
            }
        }
        for (int c = 0; c < d; c++) {
            out[c] /= sum;
        }
        return out;
    }

    /** The positions of the window of the query at {@code index} on an axis of {@code length}. */
    static int[] window(NeighborhoodAxis axis, int index, int length) {
        int start = axis.windowStart(index, length);
        int end = axis.windowEnd(index, length);
        int[] positions = new int[(end - start) / axis.dilation() + 1];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = start + i * axis.dilation();
        }
        return positions;
    }

    /**
     * Lightning (decayed causal linear) attention output of token {@code i} for one (batch, head):
     * {@code sum_{j<=i} decay^(i-j) (q_i . k_j) v_j}. Vectors of token t are at
     * {@code base + t * stride} (q and k of {@code dk}, v of {@code dv}).
     */
    static double[] lightningRow(float[] q, float[] k, float[] v, int qkBase, int qkStride, int vBase, int vStride,
                                 int i, int dk, int dv, double decay) {
        double[] out = new double[dv];
        double weight = 1;
        for (int j = i; j >= 0; j--) {
            double s = 0;
            for (int c = 0; c < dk; c++) {
                s += (double) q[qkBase + i * qkStride + c] * k[qkBase + j * qkStride + c];
            }
            for (int c = 0; c < dv; c++) {
                out[c] += weight * s * v[vBase + j * vStride + c];
            }
            weight *= decay;
        }
        return out;
    }

    /** {@code sum_c w[c] x[c]} in double. */
    static double dot(float[] w, int wAt, float[] x, int xAt, int n) {
        double s = 0;
        for (int c = 0; c < n; c++) {
            s += (double) w[wAt + c] * x[xAt + c];
        }
        return s;
    }

    /**
     * {@code x[at .. at + n)} as the CPU's integer decode kernels see it: quantized to 8 bits per block of 32
     * with llama.cpp's Q8_0 rule ({@code d = max|x| / 127}, {@code q = round(x / d)} half away from zero),
     * then {@code d * q}, computed independently of the engine's quantizer. {@code n} is a multiple of 32.
     */
    static float[] q8Activations(float[] x, int at, int n) {
        float[] out = new float[n];
        for (int block = 0; block < n; block += 32) {
            float amax = 0;
            for (int i = 0; i < 32; i++) {
                amax = Math.max(amax, Math.abs(x[at + block + i]));
            }
            float d = amax / 127f;
            float inverse = d == 0 ? 0 : 1 / d;
            for (int i = 0; i < 32; i++) {
                float v = x[at + block + i] * inverse;
                out[block + i] = d * (float) Math.copySign(Math.floor(Math.abs(v) + 0.5f), v);
            }
        }
        return out;
    }
}
