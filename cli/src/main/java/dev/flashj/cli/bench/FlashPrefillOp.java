package dev.flashj.cli.bench;

import dev.flashj.ops.FlashAttentionSpec;

import java.util.List;
import java.util.SplittableRandom;

/** Causal flash attention over a whole prompt: n queries over n keys, grouped-query heads. */
final class FlashPrefillOp implements BenchOp {
    static final int SAMPLES = 24;

    private final ShapeSchema schema = new ShapeSchema()
            .key("b", "batch", 1)
            .key("h", "query heads", 32)
            .key("kvh", "key/value heads", 8)
            .key("n", "tokens (queries = keys)", 1024)
            .key("d", "head size", 128)
            .preset("small", "h=4,kvh=2,n=61,d=32");

    @Override
    public String name() {
        return "flash-prefill";
    }

    @Override
    public String summary() {
        return "causal softmax attention of n queries over n keys (AttentionOps.flashAttention)";
    }

    @Override
    public ShapeSchema schema() {
        return schema;
    }

    @Override
    public List<Dtype> dtypes(BenchBackend backend) {
        return List.of(Dtype.F32);
    }

    @Override
    public void validate(BenchBackend backend, Shape shape, Dtype dtype) {
        Shapes.requireGroups(shape.get("h"), shape.get("kvh"));
    }

    @Override
    public BenchCase prepare(BenchBackend backend, Shape shape, Dtype dtype, InputPlan plan) {
        validate(backend, shape, dtype);
        int b = shape.get("b");
        int h = shape.get("h");
        int kvh = shape.get("kvh");
        int n = shape.get("n");
        int d = shape.get("d");
        double pairs = (double) n * (n + 1) / 2;
        Work work = new Work(4.0 * b * h * d * pairs, 4.0 * b * n * d * (2.0 * h + 2.0 * kvh));
        FlashAttentionSpec spec = FlashAttentionSpec.causalMask();
        return new AttentionOpCase(backend, plan, new int[]{b, n, h, d}, new int[]{b, n, kvh, d}, new int[]{b, n, kvh, d},
                new int[]{b, n, h, d},
                (ops, q, k, v, out) -> ops.flashAttention(q, k, v, spec, out),
                (q, k, v, out) -> {
                    SplittableRandom pick = new SplittableRandom(11);
                    SampledComparison c = new SampledComparison();
                    double scale = 1 / Math.sqrt(d);
                    for (int s = 0; s < SAMPLES; s++) {
                        int bb = pick.nextInt(b);
                        int i = s == 0 ? n - 1 : pick.nextInt(n);
                        int hh = pick.nextInt(h);
                        int[] keys = new int[i + 1];
                        for (int j = 0; j <= i; j++) {
                            keys[j] = ((bb * n + j) * kvh + hh / (h / kvh)) * d;
                        }
                        int at = ((bb * n + i) * h + hh) * d;
                        c.add(out, at, References.softmaxRow(q, at, k, v, keys, d, scale));
                    }
                    return c.build(AttentionOpCase.TOLERANCE, "float64 reference of " + SAMPLES + " sampled rows");
                },
                work);
    }
}
