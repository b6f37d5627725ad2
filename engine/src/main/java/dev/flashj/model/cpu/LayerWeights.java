package dev.flashj.model.cpu;

import dev.flashj.tensor.Tensor;

/**
 * One transformer block's weights. Matrices are the file's tensors, read in place by the matmul;
 * norm weights and biases are small and decoded to float once.
 *
 * @param queryBias null when the model has no attention biases (likewise keyBias, valueBias)
 */
public record LayerWeights(
        float[] attentionNorm,
        Tensor query,
        Tensor key,
        Tensor value,
        float[] queryBias,
        float[] keyBias,
        float[] valueBias,
        Tensor attentionOutput,
        float[] ffnNorm,
        Tensor ffnGate,
        Tensor ffnUp,
        Tensor ffnDown) {

    public boolean hasBiases() {
        return queryBias != null;
    }
}
