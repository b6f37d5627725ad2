package dev.flashj.cli.bench;

import dev.flashj.ops.FlashAttentionSpec;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Causal flash attention over a whole prompt: n queries over n keys, grouped-query heads. CPU and
 * OpenCL: {@code AttentionOps.flashAttention} in f32; CUDA: {@code CudaOps.flashAttention} on a packed
 * batch of b sequences in f16 or bf16 (tensor cores for d = 64 and 128, the generic kernel otherwise).
 */
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
        return backend instanceof CudaBackend ? MatMulOp.CUDA_TYPES : List.of(Dtype.F32);
    }

    @Override
    public void validate(BenchBackend backend, Shape shape, Dtype dtype) {
        Shapes.requireGroups(shape.get("h"), shape.get("kvh"));
        if (backend instanceof CudaBackend && shape.get("d") > CudaAttentionCase.MAX_HEAD_DIM) {
            throw new BenchUsageException("--shape", "d=" + shape.get("d") + " exceeds the " + CudaAttentionCase.MAX_HEAD_DIM
                    + " the CUDA attention kernels take");
        }
    }

    /**
     * 4d FLOPs per (query, key, head) over the n(n+1)/2 causal pairs; q, k, v read and the output
     * written once, at {@code elementBytes} each.
     */
    static Work work(int b, int h, int kvh, int n, int d, int elementBytes) {
        double pairs = (double) n * (n + 1) / 2;
        return new Work(4.0 * b * h * d * pairs, (double) elementBytes * b * n * d * (2.0 * h + 2.0 * kvh));
    }

    @Override
    public BenchCase prepare(BenchBackend backend, Shape shape, Dtype dtype, InputPlan plan) {
        validate(backend, shape, dtype);
        int b = shape.get("b");
        int h = shape.get("h");
        int kvh = shape.get("kvh");
        int n = shape.get("n");
        int d = shape.get("d");
        if (backend instanceof CudaBackend cuda) {
            return cudaCase(cuda, plan, dtype, b, h, kvh, n, d);
        }
        FlashAttentionSpec spec = FlashAttentionSpec.causalMask();
        return new AttentionOpCase(backend, plan, new int[]{b, n, h, d}, new int[]{b, n, kvh, d}, new int[]{b, n, kvh, d},
                new int[]{b, n, h, d},
                (ops, q, k, v, out) -> ops.flashAttention(q, k, v, spec, out),
                reference(b, h, kvh, n, d), work(b, h, kvh, n, d, 4));
    }

    /** b sequences of n tokens packed one after another: offsets 0, n, 2n, ... for queries and keys alike. */
    private static BenchCase cudaCase(CudaBackend cuda, InputPlan plan, Dtype dtype, int b, int h, int kvh, int n, int d) {
        int[] offsets = new int[b + 1];
        for (int s = 0; s <= b; s++) {
            offsets[s] = s * n;
        }
        float scale = (float) (1 / Math.sqrt(d));
        return new CudaAttentionCase(cuda, plan, dtype, AttentionOpCase.count(new int[]{b, n, h, d}),
                AttentionOpCase.count(new int[]{b, n, kvh, d}),
                backend -> {
                    var buffer = backend.context().allocate(4L * offsets.length, "sequence offsets");
                    backend.stream().writeInts(buffer, 0, offsets);
                    return buffer;
                },
                (ops, q, k, v, out, cu) -> ops.flashAttention(q, 0, k, 0, v, 0, out, 0, null, cu, 0, cu, 0, b, b * n, n, h,
                        kvh, d, scale, true),
                reference(b, h, kvh, n, d), work(b, h, kvh, n, d, 2));
    }

    /** Float64 softmax rows of {@link #SAMPLES} sampled (sequence, query, head) triples, the last query first. */
    private static AttentionOpCase.SampledReference reference(int b, int h, int kvh, int n, int d) {
        return (q, k, v, out) -> {
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
        };
    }
}
