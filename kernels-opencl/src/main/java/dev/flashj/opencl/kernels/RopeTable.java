package dev.flashj.opencl.kernels;

import dev.flashj.model.RopeConfig;
import dev.flashj.model.RopeScaling;

/**
 * RoPE cos/sin tables [positions, rotaryDims/2] computed on the host in double precision, so that
 * every frequency scaling (none, linear, LLaMA 3.1) is handled here and the kernel only rotates.
 * Pair p of a head rotates by angle position * freq(p), freq(p) = theta^(-2p / rotaryDims), scaled.
 */
public record RopeTable(int positions, int pairs, float[] cos, float[] sin) {

    public static RopeTable compute(RopeConfig rope, int positions) {
        int pairs = rope.rotaryDims() / 2;
        double[] freqs = frequencies(rope);
        float[] cos = new float[Math.max(1, positions * pairs)];
        float[] sin = new float[cos.length];
        for (int pos = 0; pos < positions; pos++) {
            for (int p = 0; p < pairs; p++) {
                double angle = pos * freqs[p];
                cos[pos * pairs + p] = (float) Math.cos(angle);
                sin[pos * pairs + p] = (float) Math.sin(angle);
            }
        }
        return new RopeTable(positions, pairs, cos, sin);
    }

    /** Per-pair angular frequencies after scaling. */
    public static double[] frequencies(RopeConfig rope) {
        int pairs = rope.rotaryDims() / 2;
        double[] f = new double[pairs];
        for (int p = 0; p < pairs; p++) {
            double freq = Math.pow(rope.theta(), -2.0 * p / rope.rotaryDims());
            f[p] = switch (rope.scaling()) {
                case RopeScaling.None n -> freq;
                case RopeScaling.Linear l -> freq / l.factor();
                case RopeScaling.Llama3 s -> llama3(freq, s);
            };
        }
        return f;
    }

    /** LLaMA 3.1: long wavelengths are divided by the factor, short ones kept, the band between blended. */
    private static double llama3(double freq, RopeScaling.Llama3 s) {
        double lowFreqWavelength = s.originalMaxPositions() / (double) s.lowFreqFactor();
        double highFreqWavelength = s.originalMaxPositions() / (double) s.highFreqFactor();
        double wavelength = 2 * Math.PI / freq;
        if (wavelength < highFreqWavelength) {
            return freq;
        }
        if (wavelength > lowFreqWavelength) {
            return freq / s.factor();
        }
        double smooth = (s.originalMaxPositions() / wavelength - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
        return (1 - smooth) * freq / s.factor() + smooth * freq;
    }
}
