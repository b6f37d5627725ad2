package dev.flashj.cpu;

import dev.flashj.FlashjException;
import dev.flashj.model.RopeConfig;
import dev.flashj.model.RopeScaling;

/**
 * Precomputed RoPE rotations: for every position {@code p < positions} and pair {@code i < rotaryDims/2},
 * {@code cos(p * f_i)} and {@code sin(p * f_i)} with {@code f_i = theta^(-2i/rotaryDims)} adjusted by the
 * scaling rule. Computed in double, stored as float. Immutable; shared by all sessions of a model.
 */
public final class RopeTable {
    private final int positions;
    private final int pairs;
    private final float[] cos;
    private final float[] sin;

    private RopeTable(int positions, int pairs, float[] cos, float[] sin) {
        this.positions = positions;
        this.pairs = pairs;
        this.cos = cos;
        this.sin = sin;
    }

    /** Tables for positions {@code [0, positions)}. */
    public static RopeTable create(RopeConfig rope, int positions) {
        int rotaryDims = rope.rotaryDims();
        if (rotaryDims <= 0 || rotaryDims % 2 != 0) {
            throw new FlashjException("rope: rotary dims must be a positive even number, got " + rotaryDims);
        }
        int pairs = rotaryDims / 2;
        if ((long) positions * pairs > Integer.MAX_VALUE - 8) {
            throw new FlashjException("rope: table for " + positions + " positions x " + pairs + " pairs is too large");
        }
        double[] freq = frequencies(rope);
        double positionScale = rope.scaling() instanceof RopeScaling.Linear(float factor) ? 1.0 / factor : 1.0;
        float[] cos = new float[positions * pairs];
        float[] sin = new float[positions * pairs];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < pairs; i++) {
                double angle = p * positionScale * freq[i];
                cos[p * pairs + i] = (float) Math.cos(angle);
                sin[p * pairs + i] = (float) Math.sin(angle);
            }
        }
        return new RopeTable(positions, pairs, cos, sin);
    }

    /**
     * The rotation frequency of each pair, after frequency scaling (LLaMA 3.1's rule: long wavelengths
     * are slowed by {@code factor}, short ones kept, the band between interpolated smoothly). Linear
     * scaling divides positions, not frequencies, and is applied by {@link #create}.
     */
    public static double[] frequencies(RopeConfig rope) {
        int rotaryDims = rope.rotaryDims();
        if (!(rope.theta() > 0)) {
            throw new FlashjException("rope: theta must be positive, got " + rope.theta());
        }
        double[] freq = new double[rotaryDims / 2];
        for (int i = 0; i < freq.length; i++) {
            freq[i] = Math.pow(rope.theta(), -2.0 * i / rotaryDims);
        }
        switch (rope.scaling()) {
            case RopeScaling.None() -> {
            }
            case RopeScaling.Linear(float factor) -> {
                if (!(factor > 0)) {
                    throw new FlashjException("rope: linear scaling factor must be positive, got " + factor);
                }
            }
            case RopeScaling.Llama3(float factor, float low, float high, int original) -> {
                if (!(factor > 0) || !(low > 0) || !(high > low) || original <= 0) {
                    throw new FlashjException("rope: bad llama3 scaling (factor " + factor + ", low_freq_factor "
                            + low + ", high_freq_factor " + high + ", original_max_positions " + original + ")");
                }
                double lowFreqWavelen = original / (double) low;
                double highFreqWavelen = original / (double) high;
                for (int i = 0; i < freq.length; i++) {
                    double wavelen = 2 * Math.PI / freq[i];
                    if (wavelen > lowFreqWavelen) {
                        freq[i] = freq[i] / factor;
                    } else if (wavelen >= highFreqWavelen) {
                        double smooth = (original / wavelen - low) / (high - low);
                        freq[i] = (1 - smooth) * freq[i] / factor + smooth * freq[i];
                    }
                }
            }
        }
        return freq;
    }

    public int positions() {
        return positions;
    }

    /** Pairs per head rotated: rotaryDims / 2. */
    public int pairs() {
        return pairs;
    }

    /** Cosines, row {@code p} at {@code p * pairs()}; shared, not copied (GPU backends upload it). Do not modify. */
    public float[] cos() {
        return cos;
    }

    /** Sines, row {@code p} at {@code p * pairs()}; shared, not copied. Do not modify. */
    public float[] sin() {
        return sin;
    }

    /** cos of pair {@code i} at position {@code p}. */
    public float cos(int p, int i) {
        return cos[p * pairs + i];
    }

    /** sin of pair {@code i} at position {@code p}. */
    public float sin(int p, int i) {
        return sin[p * pairs + i];
    }
}
