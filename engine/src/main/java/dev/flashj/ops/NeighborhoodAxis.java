package dev.flashj.ops;

/**
 * One spatial axis of neighborhood attention (NATTEN semantics). Positions along the axis are split
 * into {@code dilation} interleaved groups (p mod dilation); a query's window holds
 * {@code kernelSize} positions of its own group. Non-causal: centred on the query, shifted inward at
 * the borders so it keeps its size. Causal: the {@code kernelSize} group positions ending at the
 * query (fewer near the start).
 *
 * @param kernelSize odd, with {@code kernelSize * dilation <= axis length}
 * @param dilation   at least 1
 * @param causal     window ends at the query instead of being centred on it
 */
public record NeighborhoodAxis(int kernelSize, int dilation, boolean causal) {

    public static NeighborhoodAxis of(int kernelSize) {
        return new NeighborhoodAxis(kernelSize, 1, false);
    }

    public NeighborhoodAxis withDilation(int d) {
        return new NeighborhoodAxis(kernelSize, d, causal);
    }

    public NeighborhoodAxis withCausal(boolean c) {
        return new NeighborhoodAxis(kernelSize, dilation, c);
    }

    /** First position (inclusive) of the window of the query at {@code index} on an axis of {@code length}. */
    public int windowStart(int index, int length) {
        return windowStart(index, length, kernelSize, dilation, causal);
    }

    /** Last position (inclusive) of that window; positions step by {@link #dilation}. */
    public int windowEnd(int index, int length) {
        return windowEnd(index, length, kernelSize, dilation, causal);
    }

    /**
     * The window start as a plain function, shared by the CPU ops (the OpenCL kernel mirrors it):
     * within the query's dilation group, centred and clamped to the group (non-causal), or ending at
     * the query (causal).
     */
    public static int windowStart(int index, int length, int kernelSize, int dilation, boolean causal) {
        int group = index % dilation;
        int inGroup = index / dilation;
        int start;
        if (causal) {
            start = Math.max(inGroup - kernelSize + 1, 0);
        } else {
            int groupLength = (length - group + dilation - 1) / dilation;
            start = Math.clamp(inGroup - kernelSize / 2, 0, groupLength - kernelSize);
        }
        return group + start * dilation;
    }

    /** The window end (inclusive) matching {@link #windowStart(int, int, int, int, boolean)}. */
    public static int windowEnd(int index, int length, int kernelSize, int dilation, boolean causal) {
        return causal ? index : windowStart(index, length, kernelSize, dilation, false) + (kernelSize - 1) * dilation;
    }
}
