package dev.flashj.ops;

import java.util.List;

/**
 * What neighborhood attention computes: each query attends, with a softmax over its window only, to
 * the keys in the box that is the product of its per-axis windows ({@link NeighborhoodAxis}).
 * One axis is 1D (sequences), two are 2D (images, [height, width]), three are 3D ([depth, height, width]).
 * A window as large as the input (non-causal, dilation 1) is plain full attention.
 *
 * @param axes  the spatial axes, outermost first (1 to 3)
 * @param scale the score scale; NaN means 1/sqrt(headDim)
 */
public record NeighborhoodSpec(List<NeighborhoodAxis> axes, float scale) {

    public NeighborhoodSpec {
        axes = axes == null ? null : List.copyOf(axes);
    }

    /** 1D with kernel size {@code k}, no dilation, not causal. */
    public static NeighborhoodSpec of1d(int k) {
        return new NeighborhoodSpec(List.of(NeighborhoodAxis.of(k)), Float.NaN);
    }

    /** 2D with kernel {@code kh x kw}, no dilation, not causal. */
    public static NeighborhoodSpec of2d(int kh, int kw) {
        return new NeighborhoodSpec(List.of(NeighborhoodAxis.of(kh), NeighborhoodAxis.of(kw)), Float.NaN);
    }

    public static NeighborhoodSpec of(NeighborhoodAxis... axes) {
        return new NeighborhoodSpec(List.of(axes), Float.NaN);
    }

    public NeighborhoodSpec withScale(float s) {
        return new NeighborhoodSpec(axes, s);
    }

    public int rank() {
        return axes.size();
    }

    public NeighborhoodAxis axis(int a) {
        return axes.get(a);
    }

    /** The scale for heads of {@code headDim}. */
    public float scaleFor(int headDim) {
        return Float.isNaN(scale) ? (float) (1.0 / Math.sqrt(headDim)) : scale;
    }
}
