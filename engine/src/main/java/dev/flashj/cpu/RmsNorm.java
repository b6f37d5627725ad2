package dev.flashj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

/** RMSNorm: {@code out = x * w / sqrt(mean(x^2) + eps)}, one vector of {@code n} elements at a time. */
public final class RmsNorm {
    private RmsNorm() {
    }

    /**
     * Normalizes {@code x[xOff .. xOff+n)} into {@code out[outOff .. outOff+n)} ({@code out} may be
     * {@code x} at the same offset).
     */
    public static void apply(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n) {
        var species = Ops.SPECIES;
        int bound = species.loopBound(n);
        int i = 0;
        float sumSquares = 0f;
        if (bound > 0) {
            FloatVector acc = FloatVector.zero(species);
            for (; i < bound; i += species.length()) {
                FloatVector v = FloatVector.fromArray(species, x, xOff + i);
                acc = v.fma(v, acc);
            }
            for (VectorShuffle<Float> fold : Ops.FOLDS) { // fixed order, see Ops.FOLDS
                acc = acc.add(acc.rearrange(fold));
            }
            sumSquares = acc.lane(0);
        }
        for (; i < n; i++) {
            sumSquares += x[xOff + i] * x[xOff + i];
        }
        float inverseRms = (float) (1.0 / Math.sqrt(sumSquares / n + eps));
        i = 0;
        for (; i < bound; i += species.length()) {
            FloatVector v = FloatVector.fromArray(species, x, xOff + i);
            FloatVector w = FloatVector.fromArray(species, weight, i);
            v.mul(inverseRms).mul(w).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = x[xOff + i] * inverseRms * weight[i];
        }
    }

    /** Applies {@link #apply} to {@code count} consecutive vectors of {@code n} elements. */
    public static void applyRows(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n, int count) {
        for (int b = 0; b < count; b++) {
            apply(x, xOff + b * n, weight, eps, out, outOff + b * n, n);
        }
    }
}
