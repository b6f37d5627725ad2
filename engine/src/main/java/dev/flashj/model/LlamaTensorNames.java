package dev.flashj.model;

/**
 * FlashJ's canonical weight names, the GGUF llama names. Every loader maps its own names onto these.
 * Shapes are [rows, cols] = [out features, in features].
 */
public final class LlamaTensorNames {
    /** [vocab, dim] */
    public static final String TOKEN_EMBEDDING = "token_embd.weight";
    /** [dim] */
    public static final String OUTPUT_NORM = "output_norm.weight";
    /** [vocab, dim]; absent when embeddings are tied. */
    public static final String OUTPUT = "output.weight";

    private LlamaTensorNames() {
    }

    /** [dim] */
    public static String attentionNorm(int layer) {
        return block(layer, "attn_norm.weight");
    }

    /** [numHeads*headDim, dim] */
    public static String query(int layer) {
        return block(layer, "attn_q.weight");
    }

    /** [numKvHeads*headDim, dim] */
    public static String key(int layer) {
        return block(layer, "attn_k.weight");
    }

    /** [numKvHeads*headDim, dim] */
    public static String value(int layer) {
        return block(layer, "attn_v.weight");
    }

    public static String queryBias(int layer) {
        return block(layer, "attn_q.bias");
    }

    public static String keyBias(int layer) {
        return block(layer, "attn_k.bias");
    }

    public static String valueBias(int layer) {
        return block(layer, "attn_v.bias");
    }

    /** [dim, numHeads*headDim] */
    public static String attentionOutput(int layer) {
        return block(layer, "attn_output.weight");
    }

    /** [dim] */
    public static String ffnNorm(int layer) {
        return block(layer, "ffn_norm.weight");
    }

    /** [hiddenDim, dim] */
    public static String ffnGate(int layer) {
        return block(layer, "ffn_gate.weight");
    }

    /** [hiddenDim, dim] */
    public static String ffnUp(int layer) {
        return block(layer, "ffn_up.weight");
    }

    /** [dim, hiddenDim] */
    public static String ffnDown(int layer) {
        return block(layer, "ffn_down.weight");
    }

    private static String block(int layer, String suffix) {
        return "blk." + layer + "." + suffix;
    }
}
