package dev.flashj.cli.bench;

import dev.flashj.ops.NeighborhoodAxis;
import dev.flashj.ops.NeighborhoodSpec;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Neighborhood attention in 1D (a sequence, window k) or 2D (an image, window kh x kw), heads of
 * their own (no grouping), no dilation, not causal.
 */
final class NeighborhoodOp implements BenchOp {
    private static final int SAMPLES = 24;

    private final boolean twoD;
    private final ShapeSchema schema;

    private NeighborhoodOp(boolean twoD, ShapeSchema schema) {
        this.twoD = twoD;
        this.schema = schema;
    }

    static NeighborhoodOp oneD() {
        return new NeighborhoodOp(false, new ShapeSchema()
                .key("b", "batch", 1)
                .key("h", "heads", 8)
                .key("n", "tokens", 4096)
                .key("d", "head size", 64)
                .key("k", "window (odd)", 13)
                .preset("small", "h=2,n=45,d=16,k=7"));
    }

    static NeighborhoodOp twoD() {
        return new NeighborhoodOp(true, new ShapeSchema()
                .key("b", "batch", 1)
                .key("h", "heads", 4)
                .key("height", "image height", 64)
                .key("width", "image width", 64)
                .key("d", "head size", 64)
                .key("kh", "window height (odd)", 7)
                .key("kw", "window width (odd)", 7)
                .preset("small", "h=2,height=9,width=11,d=16,kh=3,kw=5"));
    }

    @Override
    public String name() {
        return twoD ? "neighborhood-2d" : "neighborhood-1d";
    }

    @Override
    public String summary() {
        return twoD ? "2D neighborhood attention over an image (AttentionOps.neighborhood)"
                : "1D neighborhood (sliding window) attention (AttentionOps.neighborhood)";
    }

    @Override
    public ShapeSchema schema() {
        return schema;
    }

    @Override
    public List<Dtype> dtypes(BenchBackend backend) {
        return backend.hasAttentionOps() ? List.of(Dtype.F32) : List.of();
    }

    @Override
    public void validate(BenchBackend backend, Shape shape, Dtype dtype) {
        if (twoD) {
            Shapes.requireOddWindow("kh", shape.get("kh"), shape.get("height"), "height");
            Shapes.requireOddWindow("kw", shape.get("kw"), shape.get("width"), "width");
        } else {
            Shapes.requireOddWindow("k", shape.get("k"), shape.get("n"), "n");
        }
    }

    @Override
    public BenchCase prepare(BenchBackend backend, Shape shape, Dtype dtype, InputPlan plan) {
        validate(backend, shape, dtype);
        int b = shape.get("b");
        int h = shape.get("h");
        int d = shape.get("d");
        int height = twoD ? shape.get("height") : 1;
        int width = twoD ? shape.get("width") : shape.get("n");
        int kh = twoD ? shape.get("kh") : 1;
        int kw = twoD ? shape.get("kw") : shape.get("k");
        NeighborhoodSpec spec = twoD ? NeighborhoodSpec.of2d(kh, kw) : NeighborhoodSpec.of1d(kw);
        int[] qShape = twoD ? new int[]{b, height, width, h, d} : new int[]{b, width, h, d};
        double positions = (double) b * height * width;
        Work work = new Work(4.0 * positions * h * d * kh * kw, 4.0 * positions * h * d * 4);
        NeighborhoodAxis rows = NeighborhoodAxis.of(kh);
        NeighborhoodAxis cols = NeighborhoodAxis.of(kw);
        return new AttentionOpCase(backend, plan, qShape, qShape, qShape, qShape,
                (ops, q, k, v, out) -> ops.neighborhood(q, k, v, spec, out),
                (q, k, v, out) -> {
                    SplittableRandom pick = new SplittableRandom(11);
                    SampledComparison c = new SampledComparison();
                    for (int s = 0; s < SAMPLES; s++) {
                        int bb = pick.nextInt(b);
                        int y = pick.nextInt(height);
                        int x = s == 0 ? width - 1 : pick.nextInt(width);
                        int hh = pick.nextInt(h);
                        int[] ys = References.window(rows, y, height);
                        int[] xs = References.window(cols, x, width);
                        int[] keys = new int[ys.length * xs.length];
                        int j = 0;
                        for (int ky : ys) {
                            for (int kx : xs) {
                                keys[j++] = (((bb * height + ky) * width + kx) * h + hh) * d;
                            }
                        }
                        int at = (((bb * height + y) * width + x) * h + hh) * d;
                        c.add(out, at, References.softmaxRow(q, at, k, v, keys, d, 1 / Math.sqrt(d)));
                    }
                    return c.build(AttentionOpCase.TOLERANCE, "float64 reference of " + SAMPLES + " sampled rows");
                },
                work);
    }
}
