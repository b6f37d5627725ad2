package dev.flashj.model.cpu;

import dev.flashj.cpu.CpuMatrix;

/**
 * One transformer block's weights. Matrices are the file's tensors, read in place by the matmul or
 * repacked at load for a faster kernel ({@link CpuMatrix}); norm weights and biases are small and
 * decoded to float once.
 *
 * @param queryBias null when the model has no attention biases (likewise keyBias, valueBias)
 */
public record LayerWeights(
        float[] attentionNorm,
        CpuMatrix query,
        CpuMatrix key,
        CpuMatrix value,
        float[] queryBias,
        float[] keyBias,
        float[] valueBias,
        CpuMatrix attentionOutput,
        float[] ffnNorm,
        CpuMatrix ffnGate,
        CpuMatrix ffnUp,
        CpuMatrix ffnDown) {

    public boolean hasBiases() {
        return queryBias != null;
    }
}
