package dev.flashj.cpu;

import dev.flashj.model.RopeConfig;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;

/** Float64 RoPE written straight from the definitions, for tests. */
public final class RopeReference {
    private RopeReference() {
    }

    /** Rotation angle of pair {@code i} at {@code position}, scaling included. */
    public static double angle(RopeConfig rope, int position, int i) {
        int d = rope.rotaryDims();
        double base = 1.0 / Math.pow(rope.theta(), (2.0 * i) / d);
        double pos = position;
        if (rope.scaling() instanceof RopeScaling.Linear lin) {
            pos = position / (double) lin.factor();
        } else if (rope.scaling() instanceof RopeScaling.Llama3 s) {
            double wavelen = 2 * Math.PI / base;
            double lowWavelen = s.originalMaxPositions() / (double) s.lowFreqFactor();
            double highWavelen = s.originalMaxPositions() / (double) s.highFreqFactor();
            if (wavelen < highWavelen) {
                // high frequency: unchanged
            } else if (wavelen > lowWavelen) {
                base = base / s.factor();
            } else {
                double t = (s.originalMaxPositions() / wavelen - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor());
                base = t * base + (1 - t) * (base / s.factor());
            }
        }
        return pos * base;
    }

    /** Rotates one head vector in place (first rotaryDims dims). */
    public static void rotate(RopeConfig rope, double[] head, int off, int position) {
        int pairs = rope.rotaryDims() / 2;
        for (int i = 0; i < pairs; i++) {
            double a = angle(rope, position, i);
            int i0 = rope.style() == RopeStyle.INTERLEAVED ? off + 2 * i : off + i;
            int i1 = rope.style() == RopeStyle.INTERLEAVED ? off + 2 * i + 1 : off + i + pairs;
            double x0 = head[i0];
            double x1 = head[i1];
            head[i0] = x0 * Math.cos(a) - x1 * Math.sin(a);
            head[i1] = x0 * Math.sin(a) + x1 * Math.cos(a);
        }
    }
}
