package dev.flashj.ops;

/**
 * Softmax attention {@code O = softmax(scale * Q K^T + mask) V}, computed flash-style (online
 * softmax, no score matrix). With {@code causal}, query i of {@code Tq} sees keys
 * {@code 0 .. i + (Tk - Tq)} (aligned at the end, as for a KV cache).
 *
 * @param causal whether to mask future keys
 * @param scale  the score scale; NaN means 1/sqrt(headDim)
 */
public record FlashAttentionSpec(boolean causal, float scale) {

    public static FlashAttentionSpec causalMask() {
        return new FlashAttentionSpec(true, Float.NaN);
    }

    public static FlashAttentionSpec full() {
        return new FlashAttentionSpec(false, Float.NaN);
    }

    public FlashAttentionSpec withScale(float s) {
        return new FlashAttentionSpec(causal, s);
    }

    /** The scale for heads of {@code headDim}. */
    public float scaleFor(int headDim) {
        return Float.isNaN(scale) ? (float) (1.0 / Math.sqrt(headDim)) : scale;
    }
}
