package dev.flashj.model;

/**
 * Hyper-parameters of a LLaMA-family model. Shapes below use {@code dim} = hidden size,
 * {@code headDim} = per-head size (not always dim / numHeads), {@code kvDim} = numKvHeads * headDim.
 *
 * @param dim            hidden size (embedding width)
 * @param hiddenDim      feed-forward inner size
 * @param numLayers      transformer blocks
 * @param numHeads       query heads
 * @param numKvHeads     key/value heads (numHeads for MHA, 1 for MQA)
 * @param headDim        size of one head
 * @param vocabSize      rows of the embedding matrix
 * @param contextLength  longest sequence the model was trained for
 * @param rmsNormEps     epsilon inside RMSNorm
 * @param rope           rotary embedding settings
 * @param tiedEmbeddings the output head reuses the token embedding matrix
 * @param attentionBias  Q/K/V projections carry biases (Qwen2 style)
 */
public record LlamaConfig(
        int dim,
        int hiddenDim,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int vocabSize,
        int contextLength,
        float rmsNormEps,
        RopeConfig rope,
        boolean tiedEmbeddings,
        boolean attentionBias) {

    public int kvDim() {
        return numKvHeads * headDim;
    }

    public int qDim() {
        return numHeads * headDim;
    }
}
