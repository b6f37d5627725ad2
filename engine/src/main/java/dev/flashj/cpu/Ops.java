package dev.flashj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small element-wise and reduction kernels of the forward pass (everything but matmul, RMSNorm,
 * RoPE and attention), on slices of float arrays. Vector API where it pays, scalar tails.
 */
public final class Ops {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /**
     * Shuffles that fold a vector onto itself (lane i gets lane i xor L/2, then xor L/4, ... xor 1): adding
     * each in turn leaves the whole sum in lane 0 in a fixed order. {@code reduceLanes(ADD)} leaves the
     * order open, and the interpreter and C2 do differ, which made a token's logits depend on how far
     * the JIT had got (a test comparing two sessions saw it).
     */
    static final VectorShuffle<Float>[] FOLDS = folds(SPECIES);

    private Ops() {
    }

    /** Bits of the vectors these kernels use, for display. */
    public static int vectorBits() {
        return SPECIES.vectorBitSize();
    }

    /** {@code sum_i a[aOff+i] * b[bOff+i]} over {@code n} elements. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        float sum = 0f;
        int bound = SPECIES.loopBound(n);
        if (bound > 0) {
            FloatVector acc = FloatVector.zero(SPECIES);
            for (; i < bound; i += SPECIES.length()) {
                FloatVector va = FloatVector.fromArray(SPECIES, a, aOff + i);
                FloatVector vb = FloatVector.fromArray(SPECIES, b, bOff + i);
                acc = va.fma(vb, acc);
            }
            for (VectorShuffle<Float> fold : FOLDS) {
                acc = acc.add(acc.rearrange(fold));
            }
            sum = acc.lane(0);
        }
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    /** {@code y[yOff+i] += alpha * x[xOff+i]} over {@code n} elements. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        if (bound > 0) {
            FloatVector va = FloatVector.broadcast(SPECIES, alpha);
            for (; i < bound; i += SPECIES.length()) {
                FloatVector vx = FloatVector.fromArray(SPECIES, x, xOff + i);
                FloatVector vy = FloatVector.fromArray(SPECIES, y, yOff + i);
                vx.fma(va, vy).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    /** {@code dst[dOff+i] += src[sOff+i]} over {@code n} elements (residual connections, biases). */
    public static void add(float[] src, int sOff, float[] dst, int dOff, int n) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        for (; i < bound; i += SPECIES.length()) {
            FloatVector vs = FloatVector.fromArray(SPECIES, src, sOff + i);
            FloatVector vd = FloatVector.fromArray(SPECIES, dst, dOff + i);
            vd.add(vs).intoArray(dst, dOff + i);
        }
        for (; i < n; i++) {
            dst[dOff + i] += src[sOff + i];
        }
    }

    /** {@code x[off+i] *= s} over {@code n} elements. */
    public static void scale(float[] x, int off, int n, float s) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        for (; i < bound; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, x, off + i).mul(s).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] *= s;
        }
    }

    /** Fills {@code n} elements with zero. */
    public static void zero(float[] x, int off, int n) {
        java.util.Arrays.fill(x, off, off + n, 0f);
    }

    /**
     * SwiGLU's gate: {@code gate[gOff+i] = silu(gate[gOff+i]) * up[uOff+i]} with
     * {@code silu(g) = g / (1 + e^-g)}. The exponential is scalar: exact {@link Math#exp} costs far
     * less than the matmuls around it and does not depend on vector math intrinsics being present.
     */
    public static void siluMul(float[] gate, int gOff, float[] up, int uOff, int n) {
        for (int i = 0; i < n; i++) {
            gate[gOff + i] = silu(gate[gOff + i]) * up[uOff + i];
        }
    }

    /** {@code g / (1 + e^-g)}, the one formula every SwiGLU path uses (so that they agree bit for bit). */
    public static float silu(float g) {
        return (float) (g / (1.0 + Math.exp(-g)));
    }

    /**
     * In-place softmax of {@code n} elements, in float, subtracting the maximum first so the
     * exponentials cannot overflow.
     */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        scale(x, off, n, 1f / sum);
    }

    /** Index of the largest of {@code n} elements (the first one on ties). */
    public static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (x[off + i] > x[off + best]) {
                best = i;
            }
        }
        return best;
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] folds(VectorSpecies<Float> species) {
        int lanes = species.length();
        int steps = Integer.numberOfTrailingZeros(lanes);
        VectorShuffle<Float>[] folds = new VectorShuffle[steps];
        for (int k = 0; k < steps; k++) {
            int stride = lanes >> (k + 1);
            folds[k] = VectorShuffle.fromOp(species, i -> i ^ stride);
        }
        return folds;
    }
}
