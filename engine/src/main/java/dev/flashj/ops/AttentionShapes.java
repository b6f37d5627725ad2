package dev.flashj.ops;

/** The sizes {@link OpsArguments} read off validated arguments, so no backend parses shapes twice. */
public final class AttentionShapes {
    private AttentionShapes() {
    }

    /** Flash attention: q [batch, queries, heads, headDim], k/v [batch, keys, kvHeads, headDim]. */
    public record Flash(int batch, int queries, int keys, int heads, int kvHeads, int headDim, float scale) {
    }

    /** Lightning: q [batch, tokens, heads, keyDim], k [batch, tokens, kvHeads, keyDim], v [.., valueDim]. */
    public record Lightning(int batch, int tokens, int heads, int kvHeads, int keyDim, int valueDim, int blockSize) {
    }

    /**
     * Neighborhood: q/k/v/out [batch, s0, s1, s2, heads (kvHeads for k, v), headDim], the spatial
     * sizes padded on the left with 1 to three axes (a missing axis has kernel 1, dilation 1).
     */
    public record Neighborhood(int batch, int[] sizes, int[] kernel, int[] dilation, boolean[] causal,
                               int heads, int kvHeads, int headDim, float scale) {
        public int tokens() {
            return sizes[0] * sizes[1] * sizes[2];
        }
    }
}
