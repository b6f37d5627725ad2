package dev.flashj.cpu;

import jdk.incubator.vector.FloatVector;

import static dev.flashj.cpu.QuantVectors.F;
import static dev.flashj.cpu.QuantVectors.L;
import static dev.flashj.cpu.QuantVectors.sumLanes;

/** Float-array dot products: one decoded weight row against one or four activation rows. */
final class DotFloats {
    private DotFloats() {
    }

    static float dot(float[] a, int aOffset, float[] b, int bOffset, int n, float[] lanes) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            acc0 = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc0);
            acc1 = FloatVector.fromArray(F, a, aOffset + i + L).fma(FloatVector.fromArray(F, b, bOffset + i + L), acc1);
        }
        for (; i + L <= n; i += L) {
            acc0 = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc0);
        }
        acc0.add(acc1).intoArray(lanes, 0);
        float sum = sumLanes(lanes);
        for (; i < n; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    /**
     * Dot products of the row {@code w[0, n)} with the four activation rows starting at
     * {@code x[x0]}, {@code x[x0 + stride]}, ...; results go to {@code out[o0]}, {@code out[o0 + outStride]}, ...
     * The row is loaded once for four tokens.
     */
    static void dot4(float[] w, float[] x, int x0, int stride, int n, float[] out, int o0, int outStride, float[] lanes) {
        int x1 = x0 + stride;
        int x2 = x1 + stride;
        int x3 = x2 + stride;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector wv = FloatVector.fromArray(F, w, i);
            a0 = wv.fma(FloatVector.fromArray(F, x, x0 + i), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + i), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + i), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + i), a3);
        }
        a0.intoArray(lanes, 0);
        float s0 = sumLanes(lanes);
        a1.intoArray(lanes, 0);
        float s1 = sumLanes(lanes);
        a2.intoArray(lanes, 0);
        float s2 = sumLanes(lanes);
        a3.intoArray(lanes, 0);
        float s3 = sumLanes(lanes);
        for (; i < n; i++) {
            float wi = w[i];
            s0 += wi * x[x0 + i];
            s1 += wi * x[x1 + i];
            s2 += wi * x[x2 + i];
            s3 += wi * x[x3 + i];
        }
        out[o0] = s0;
        out[o0 + outStride] = s1;
        out[o0 + 2 * outStride] = s2;
        out[o0 + 3 * outStride] = s3;
    }
}
