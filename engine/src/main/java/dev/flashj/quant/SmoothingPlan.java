package dev.flashj.quant;

import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelFile;
import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Tensor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * SmoothQuant+-style smoothing for W4A16, from calibration statistics. For each input channel j of
 * a matrix group, {@code s_j = max|X_j|^α / max|W_:j|^(1-α)}; the weights' column j is multiplied by
 * s_j and the activation divided by it, which is folded into the op that produces the activation so
 * the model computes the same function before quantization:
 *
 * <ul>
 *   <li>attn_q/k/v columns ×s, attn_norm ÷s;</li>
 *   <li>ffn_gate/ffn_up columns ×s, ffn_norm ÷s;</li>
 *   <li>ffn_down columns ×s, ffn_up rows ÷s (silu(gate)·up is linear in up).</li>
 * </ul>
 *
 * attn_output is not smoothed (its input mixes heads through softmax; with GQA a v row feeds several
 * heads). Channels with large activations get larger weights and so a finer share of their group's
 * 16 levels. Every quantized matrix also gets per-column importance {@code mean(X_j^2) / s_j^2} (the
 * smoothed activation's energy), which weights the INT4 quantizer's error like llama.cpp's
 * importance matrix.
 */
final class SmoothingPlan {
    /** Migration strength: 0.5 splits the range evenly between activations and weights. */
    static final double ALPHA = 0.5;
    private static final double MIN_SCALE = 1e-2;
    private static final double MAX_SCALE = 1e2;

    private final Map<String, float[]> columnScales = new HashMap<>();
    private final Map<String, float[]> divideBy = new HashMap<>();
    private final Map<String, float[]> rowDivisors = new HashMap<>();
    private final Map<String, double[]> importance = new HashMap<>();

    static SmoothingPlan create(ModelFile in, ActivationStats stats) {
        SmoothingPlan plan = new SmoothingPlan();
        LlamaConfig c = in.config();
        for (int l = 0; l < c.numLayers(); l++) {
            List<String> attention = List.of(LlamaTensorNames.query(l), LlamaTensorNames.key(l), LlamaTensorNames.value(l));
            float[] sa = scales(in, attention, stats.attentionInput[l]);
            plan.smooth(attention, sa, stats.attentionInput[l]);
            plan.divideBy.put(LlamaTensorNames.attentionNorm(l), sa);

            List<String> ffn = List.of(LlamaTensorNames.ffnGate(l), LlamaTensorNames.ffnUp(l));
            float[] sf = scales(in, ffn, stats.ffnInput[l]);
            plan.smooth(ffn, sf, stats.ffnInput[l]);
            plan.divideBy.put(LlamaTensorNames.ffnNorm(l), sf);

            List<String> down = List.of(LlamaTensorNames.ffnDown(l));
            float[] sd = scales(in, down, stats.downInput[l]);
            plan.smooth(down, sd, stats.downInput[l]);
            plan.rowDivisors.put(LlamaTensorNames.ffnUp(l), sd);

            float[] ones = new float[c.qDim()];
            java.util.Arrays.fill(ones, 1f);
            plan.importance.put(LlamaTensorNames.attentionOutput(l), energy(stats.attentionOutput[l], ones));
        }
        return plan;
    }

    private void smooth(List<String> names, float[] s, ActivationStats.Channel channel) {
        double[] weights = energy(channel, s);
        for (String name : names) {
            columnScales.put(name, s);
            importance.put(name, weights);
        }
    }

    private static double[] energy(ActivationStats.Channel channel, float[] s) {
        double[] out = new double[s.length];
        for (int j = 0; j < s.length; j++) {
            out[j] = channel.meanSquare(j) / ((double) s[j] * s[j]) + 1e-12;
        }
        return out;
    }

    private static float[] scales(ModelFile in, List<String> names, ActivationStats.Channel channel) {
        int width = channel.maxAbs.length;
        float[] maxW = new float[width];
        for (String name : names) {
            Tensor t = in.weight(name).orElseThrow();
            float[] w = Dequantizer.toFloats(t);
            for (int i = 0; i < w.length; i++) {
                int j = i % width;
                maxW[j] = Math.max(maxW[j], Math.abs(w[i]));
            }
        }
        float[] s = new float[width];
        for (int j = 0; j < width; j++) {
            double x = channel.maxAbs[j];
            double scale = x > 0 && maxW[j] > 0 ? Math.pow(x, ALPHA) / Math.pow(maxW[j], 1 - ALPHA) : 1;
            s[j] = (float) Math.max(MIN_SCALE, Math.min(MAX_SCALE, scale));
        }
        return s;
    }

    /** Applies this plan's scalings to a tensor's values ({@code rows × cols}, row-major), in place. */
    void transform(String name, float[] values, int rows, int cols) {
        float[] s = columnScales.get(name);
        if (s != null) {
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < cols; j++) {
                    values[r * cols + j] *= s[j];
                }
            }
        }
        float[] d = rowDivisors.get(name);
        if (d != null) {
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < cols; j++) {
                    values[r * cols + j] /= d[r];
                }
            }
        }
        float[] norm = divideBy.get(name);
        if (norm != null) {
            for (int j = 0; j < values.length; j++) {
                values[j] /= norm[j];
            }
        }
    }

    /** Per-column weights of the quantization error for a matrix, when the calibration saw its input. */
    Optional<double[]> importance(String name) {
        return Optional.ofNullable(importance.get(name));
    }
}
