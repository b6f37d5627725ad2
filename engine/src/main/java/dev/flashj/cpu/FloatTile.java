package dev.flashj.cpu;

import jdk.incubator.vector.FloatVector;

import static dev.flashj.cpu.QuantVectors.F;
import static dev.flashj.cpu.QuantVectors.L;

/**
 * The prefill micro-kernel: four decoded weight rows times four tokens, sixteen dot products kept
 * in sixteen vector accumulators. Every weight vector loaded serves four tokens and every
 * activation vector four rows, so one step does 16 fused multiply-adds for 8 loads (the 1-row
 * kernel did 4 for 5 and was bound by loads).
 *
 * <p>Each (row, token) sum is accumulated the same way wherever the row and the token sit in
 * their tiles, so the result does not depend on the thread count or on the batch split.
 */
final class FloatTile {
    static final int ROWS = 4;
    static final int TOKENS = 4;

    private FloatTile() {
    }

    /**
     * Sums {@code wr[c] * x[xt + c]} over {@code c < cols} for the four decoded rows {@code w0..w3}
     * and the four tokens starting at {@code x[x0]}, {@code x[x1]}, {@code x[x2]},
     * {@code x[x3]}; the 16 sums land in {@code sums[4*r + t]}. {@code lanes} is scratch of at
     * least {@code 16 * L} floats.
     */
    static void multiply(float[] w0, float[] w1, float[] w2, float[] w3, int cols,
                         float[] x, int x0, int x1, int x2, int x3, float[] sums, float[] lanes) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = a00;
        FloatVector a02 = a00;
        FloatVector a03 = a00;
        FloatVector a10 = a00;
        FloatVector a11 = a00;
        FloatVector a12 = a00;
        FloatVector a13 = a00;
        FloatVector a20 = a00;
        FloatVector a21 = a00;
        FloatVector a22 = a00;
        FloatVector a23 = a00;
        FloatVector a30 = a00;
        FloatVector a31 = a00;
        FloatVector a32 = a00;
        FloatVector a33 = a00;
        int i = 0;
        for (; i + L <= cols; i += L) {
            FloatVector v0 = FloatVector.fromArray(F, w0, i);
            FloatVector v1 = FloatVector.fromArray(F, w1, i);
            FloatVector v2 = FloatVector.fromArray(F, w2, i);
            FloatVector v3 = FloatVector.fromArray(F, w3, i);
            FloatVector xv = FloatVector.fromArray(F, x, x0 + i);
            a00 = v0.fma(xv, a00);
            a10 = v1.fma(xv, a10);
            a20 = v2.fma(xv, a20);
            a30 = v3.fma(xv, a30);
            xv = FloatVector.fromArray(F, x, x1 + i);
            a01 = v0.fma(xv, a01);
            a11 = v1.fma(xv, a11);
            a21 = v2.fma(xv, a21);
            a31 = v3.fma(xv, a31);
            xv = FloatVector.fromArray(F, x, x2 + i);
            a02 = v0.fma(xv, a02);
            a12 = v1.fma(xv, a12);
            a22 = v2.fma(xv, a22);
            a32 = v3.fma(xv, a32);
            xv = FloatVector.fromArray(F, x, x3 + i);
            a03 = v0.fma(xv, a03);
            a13 = v1.fma(xv, a13);
            a23 = v2.fma(xv, a23);
            a33 = v3.fma(xv, a33);
        }
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, L);
        a02.intoArray(lanes, 2 * L);
        a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a12.intoArray(lanes, 6 * L);
        a13.intoArray(lanes, 7 * L);
        a20.intoArray(lanes, 8 * L);
        a21.intoArray(lanes, 9 * L);
        a22.intoArray(lanes, 10 * L);
        a23.intoArray(lanes, 11 * L);
        a30.intoArray(lanes, 12 * L);
        a31.intoArray(lanes, 13 * L);
        a32.intoArray(lanes, 14 * L);
        a33.intoArray(lanes, 15 * L);
        for (int k = 0; k < ROWS * TOKENS; k++) {
            float s = 0;
            for (int j = 0; j < L; j++) {
                s += lanes[k * L + j];
            }
            sums[k] = s;
        }
        if (i < cols) {
            addTail(w0, 0, cols, x, x0, x1, x2, x3, sums, i);
            addTail(w1, 1, cols, x, x0, x1, x2, x3, sums, i);
            addTail(w2, 2, cols, x, x0, x1, x2, x3, sums, i);
            addTail(w3, 3, cols, x, x0, x1, x2, x3, sums, i);
        }
    }

    /** Columns {@code [from, cols)} of row {@code r}, which do not fill a vector (float types with odd widths). */
    private static void addTail(float[] w, int r, int cols, float[] x, int x0, int x1, int x2, int x3, float[] sums, int from) {
        for (int c = from; c < cols; c++) {
            sums[4 * r] += w[c] * x[x0 + c];
            sums[4 * r + 1] += w[c] * x[x1 + c];
            sums[4 * r + 2] += w[c] * x[x2 + c];
            sums[4 * r + 3] += w[c] * x[x3 + c];
        }
    }
}
