package dev.flashj.cli.bench;

import dev.flashj.ops.LightningSpec;
import dev.flashj.ops.LightningTuning;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Lightning (decayed causal linear) attention over a whole sequence, block-tiled form. FLOPs are
 * counted as the recurrent form's: per token and head, dk x dv multiply-adds to update the state and
 * as many to read it.
 */
final class LightningOp implements BenchOp {
    static final float DECAY = 0.99f;
    private static final int SAMPLES = 16;

    private final ShapeSchema schema = new ShapeSchema()
            .key("b", "batch", 1)
            .key("h", "heads", 8)
            .key("n", "tokens", 4096)
            .key("dk", "key size", 64)
            .key("dv", "value size", 64)
            .preset("small", "h=2,n=67,dk=16,dv=16");

    @Override
    public String name() {
        return "lightning";
    }

    @Override
    public String summary() {
        return "lightning attention, decay " + DECAY + ", block-tiled (AttentionOps.lightning)";
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
    public BenchCase prepare(BenchBackend backend, Shape shape, Dtype dtype, InputPlan plan) {
        int b = shape.get("b");
        int h = shape.get("h");
        int n = shape.get("n");
        int dk = shape.get("dk");
        int dv = shape.get("dv");
        LightningSpec spec = LightningSpec.uniform(h, DECAY);
        Work work = new Work(4.0 * b * h * n * dk * dv, 4.0 * b * n * h * (2.0 * dk + 2.0 * dv));
        return new AttentionOpCase(backend, plan, new int[]{b, n, h, dk}, new int[]{b, n, h, dk}, new int[]{b, n, h, dv},
                new int[]{b, n, h, dv},
                (ops, q, k, v, out) -> ops.lightning(q, k, v, spec, LightningTuning.DEFAULT, null, out),
                (q, k, v, out) -> {
                    SplittableRandom pick = new SplittableRandom(11);
                    SampledComparison c = new SampledComparison();
                    for (int s = 0; s < SAMPLES; s++) {
                        int bb = pick.nextInt(b);
                        int i = s == 0 ? n - 1 : pick.nextInt(n);
                        int hh = pick.nextInt(h);
                        int qkBase = (bb * n * h + hh) * dk;
                        int vBase = (bb * n * h + hh) * dv;
                        double[] ref = References.lightningRow(q, k, v, qkBase, h * dk, vBase, h * dv, i, dk, dv, DECAY);
                        c.add(out, vBase + i * h * dv, ref);
                    }
                    return c.build(AttentionOpCase.TOLERANCE, "float64 recurrent reference of " + SAMPLES + " sampled rows");
                },
                work);
    }
}
