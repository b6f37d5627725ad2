package dev.flashj.quant;

/**
 * Per-input-channel statistics of the activations entering each kind of matrix of one layer, from
 * a calibration run: the largest magnitude (for smoothing) and the mean square (for weighting the
 * quantization error).
 */
final class ActivationStats {
    /** Inputs of attn_q/k/v (the attention RMSNorm's output), [layer][dim]. */
    final Channel[] attentionInput;
    /** Inputs of attn_output (the attention's output), [layer][heads*headDim]. */
    final Channel[] attentionOutput;
    /** Inputs of ffn_gate/ffn_up (the FFN RMSNorm's output). */
    final Channel[] ffnInput;
    /** Inputs of ffn_down (silu(gate) * up). */
    final Channel[] downInput;

    ActivationStats(int layers, int dim, int qDim, int hiddenDim) {
        attentionInput = channels(layers, dim);
        attentionOutput = channels(layers, qDim);
        ffnInput = channels(layers, dim);
        downInput = channels(layers, hiddenDim);
    }

    private static Channel[] channels(int layers, int width) {
        Channel[] out = new Channel[layers];
        for (int l = 0; l < layers; l++) {
            out[l] = new Channel(width);
        }
        return out;
    }

    /** Running max |x_j| and sum of x_j^2 over the tokens seen. */
    static final class Channel {
        final float[] maxAbs;
        final double[] sumSquares;
        int tokens;

        Channel(int width) {
            maxAbs = new float[width];
            sumSquares = new double[width];
        }

        /** Adds {@code count} rows of {@code width} values each. */
        void add(float[] rows, int count) {
            int width = maxAbs.length;
            for (int t = 0; t < count; t++) {
                for (int j = 0; j < width; j++) {
                    float v = rows[t * width + j];
                    maxAbs[j] = Math.max(maxAbs[j], Math.abs(v));
                    sumSquares[j] += (double) v * v;
                }
            }
            tokens += count;
        }

        double meanSquare(int j) {
            return tokens == 0 ? 1 : sumSquares[j] / tokens;
        }
    }
}
