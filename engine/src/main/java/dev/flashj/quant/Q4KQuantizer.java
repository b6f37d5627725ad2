package dev.flashj.quant;

import static dev.flashj.quant.CRounding.nearestInt;
import static dev.flashj.quant.CRounding.putHalf;

/**
 * GGML's reference Q4_K quantizer (quantize_row_q4_K_ref): per 32-element sub-block a weighted
 * search for scale and min (make_qkx2_quants: 21 candidate scales around max-min, each refined by
 * weighted least squares, weights sqrt(mean x^2) + |x|), then the eight scales and mins quantized to
 * 6 bits against the super-block's largest, and the elements requantized with the stored values.
 */
final class Q4KQuantizer {
    static final int SUPER_BLOCK = 256;
    static final int BYTES = 144;

    private Q4KQuantizer() {
    }

    static void quantize(float[] x, int from, int count, byte[] out, int at) {
        int[] codes = new int[SUPER_BLOCK];
        int[] scratch = new int[32];
        float[] weights = new float[32];
        float[] scales = new float[8];
        float[] mins = new float[8];
        for (int b = 0; b < count / SUPER_BLOCK; b++) {
            int xb = from + SUPER_BLOCK * b;
            int o = at + BYTES * b;
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 8; j++) {
                float sumX2 = 0;
                for (int l = 0; l < 32; l++) {
                    sumX2 += x[xb + 32 * j + l] * x[xb + 32 * j + l];
                }
                float avX = (float) Math.sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) {
                    weights[l] = avX + Math.abs(x[xb + 32 * j + l]);
                }
                float[] minOut = new float[1];
                scales[j] = scaleAndMin(x, xb + 32 * j, weights, codes, 32 * j, minOut, scratch);
                mins[j] = minOut[0];
                maxScale = Math.max(maxScale, scales[j]);
                maxMin = Math.max(maxMin, mins[j]);
            }
            float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
            float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
            byte[] packed = new byte[12];
            for (int j = 0; j < 8; j++) {
                int ls = Math.min(63, nearestInt(invScale * scales[j]));
                int lm = Math.min(63, nearestInt(invMin * mins[j]));
                if (j < 4) {
                    packed[j] = (byte) ls;
                    packed[j + 4] = (byte) lm;
                } else {
                    packed[j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                    packed[j - 4] |= (byte) ((ls >> 4) << 6);
                    packed[j] |= (byte) ((lm >> 4) << 6);
                }
            }
            putHalf(out, o, maxScale / 63.f);
            putHalf(out, o + 2, maxMin / 63.f);
            System.arraycopy(packed, 0, out, o + 4, 12);
            float d = Float.float16ToFloat(CRounding.toHalf(maxScale / 63.f));
            float dmin = Float.float16ToFloat(CRounding.toHalf(maxMin / 63.f));
            for (int j = 0; j < 8; j++) {
                float dj = d * scale(packed, j);
                if (dj == 0) {
                    continue;
                }
                float dm = dmin * min(packed, j);
                for (int ii = 0; ii < 32; ii++) {
                    codes[32 * j + ii] = Math.max(0, Math.min(15, nearestInt((x[xb + 32 * j + ii] + dm) / dj)));
                }
            }
            for (int j = 0; j < SUPER_BLOCK; j += 64) {
                for (int l = 0; l < 32; l++) {
                    out[o + 16 + j / 2 + l] = (byte) (codes[j + l] | codes[j + l + 32] << 4);
                }
            }
        }
    }

    private static int scale(byte[] q, int j) {
        return j < 4 ? q[j] & 63 : (q[j + 4] & 0xF) | (((q[j - 4] & 0xFF) >> 6) << 4);
    }

    private static int min(byte[] q, int j) {
        return j < 4 ? q[j + 4] & 63 : ((q[j + 4] & 0xFF) >> 4) | (((q[j] & 0xFF) >> 6) << 4);
    }

    /**
     * make_qkx2_quants(32, 15, x, weights, L, &min, Laux, -1, 0.1, 20, false): codes into
     * {@code codes[at, at+32)}, returns the scale, {@code minOut[0]} = -(min offset).
     */
    private static float scaleAndMin(float[] x, int xi, float[] weights, int[] codes, int at, float[] minOut, int[] aux) {
        final int n = 32;
        final int nmax = 15;
        final float rmin = -1f;
        final float rdelta = 0.1f;
        final int nstep = 20;
        float min = x[xi];
        float max = x[xi];
        float sumW = weights[0];
        float sumX = sumW * x[xi];
        for (int i = 1; i < n; i++) {
            if (x[xi + i] < min) {
                min = x[xi + i];
            }
            if (x[xi + i] > max) {
                max = x[xi + i];
            }
            float w = weights[i];
            sumW += w;
            sumX += w * x[xi + i];
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            for (int i = 0; i < n; i++) {
                codes[at + i] = 0;
            }
            minOut[0] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = nearestInt(iscale * (x[xi + i] - min));
            codes[at + i] = Math.max(0, Math.min(nmax, l));
            float diff = scale * codes[at + i] + min - x[xi + i];
            bestError += weights[i] * (diff * diff);
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[xi + i] - min))));
                aux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xi + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[xi + i];
                    error += weights[i] * (diff * diff);
                }
                if (error < bestError) {
                    System.arraycopy(aux, 0, codes, at, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        minOut[0] = -min;
        return scale;
    }
}
