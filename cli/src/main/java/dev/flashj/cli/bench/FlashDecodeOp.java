package dev.flashj.cli.bench;

import dev.flashj.cuda.kernels.CudaOps;
import dev.flashj.ops.FlashAttentionSpec;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Decode attention: one new query token per sequence over n cached keys. On the CPU through
 * {@code AttentionOps.flashAttention} with one query; on OpenCL through the model's split-KV decode
 * kernels ({@code OpenClOps.decodeAttention}); on CUDA through the split-KV decode and combine kernels
 * ({@code CudaOps.decodeAttention}, f16 or bf16, d = 64 or 128).
 */
final class FlashDecodeOp implements BenchOp {
    private static final int SAMPLES = 16;

    private final ShapeSchema schema = new ShapeSchema()
            .key("b", "sequences", 1)
            .key("h", "query heads", 32)
            .key("kvh", "key/value heads", 8)
            .key("n", "cached keys per sequence", 4096)
            .key("d", "head size", 128)
            .preset("small", "h=4,kvh=2,n=77,d=32");

    @Override
    public String name() {
        return "flash-decode";
    }

    @Override
    public String summary() {
        return "one query token over n cached keys (CPU flash attention; OpenCL split-KV decode kernels)";
    }

    @Override
    public ShapeSchema schema() {
        return schema;
    }

    @Override
    public List<Dtype> dtypes(BenchBackend backend) {
        return backend instanceof CudaBackend ? MatMulOp.CUDA_TYPES : List.of(Dtype.F32);
    }

    /** Reading the cache dominates: keys and values once, plus q and out (f32). */
    static Work work(int b, int h, int kvh, int n, int d) {
        return work(b, h, kvh, n, d, 4);
    }

    /** The same at {@code elementBytes} per element (2 for 16-bit caches). */
    static Work work(int b, int h, int kvh, int n, int d, int elementBytes) {
        return new Work(4.0 * b * h * n * d, (double) elementBytes * b * d * (2.0 * n * kvh + 2.0 * h));
    }

    @Override
    public void validate(BenchBackend backend, Shape shape, Dtype dtype) {
        Shapes.requireGroups(shape.get("h"), shape.get("kvh"));
        if (backend instanceof OpenClBackend) {
            if (shape.get("d") > OpenClBackend.MAX_HEAD_DIM) {
                throw new BenchUsageException("--shape", "d=" + shape.get("d") + " exceeds the " + OpenClBackend.MAX_HEAD_DIM
                        + " the OpenCL decode kernel is built for");
            }
            if (shape.get("b") != 1) {
                // The model's kernels attend one sequence's cache, read from offset 0 of its buffers.
                throw new BenchUsageException("--shape", "b=" + shape.get("b") + ": the OpenCL decode kernels take one sequence (b=1)");
            }
        }
        if (backend instanceof CudaBackend) {
            if (!CudaOps.hasDecodeKernel(shape.get("d"))) {
                throw new BenchUsageException("--shape", "d=" + shape.get("d") + ": the CUDA split-KV decode kernels take d=64 or d=128");
            }
            if (shape.get("b") != 1) {
                throw new BenchUsageException("--shape", "b=" + shape.get("b") + ": the CUDA decode kernels take one sequence (b=1)");
            }
        }
    }

    @Override
    public BenchCase prepare(BenchBackend backend, Shape shape, Dtype dtype, InputPlan plan) {
        validate(backend, shape, dtype);
        int b = shape.get("b");
        int h = shape.get("h");
        int kvh = shape.get("kvh");
        int n = shape.get("n");
        int d = shape.get("d");
        if (backend instanceof OpenClBackend cl) {
            return new ClDecodeCase(cl, plan, b, h, kvh, n, d, work(b, h, kvh, n, d));
        }
        if (backend instanceof CudaBackend cuda) {
            float scale = (float) (1 / Math.sqrt(d));
            long partialBytes = 4 * CudaOps.decodePartialFloats(h, d, n, cuda.device().multiprocessors());
            return new CudaAttentionCase(cuda, plan, dtype, h * d, AttentionOpCase.count(new int[]{n, kvh, d}),
                    gpu -> gpu.context().allocate(partialBytes, "decode partials"),
                    (ops, q, k, v, out, partial) -> ops.decodeAttention(q, 0, k, v, partial, out, 0, null, h, kvh, d, n, scale),
                    reference(b, h, kvh, n, d), work(b, h, kvh, n, d, 2));
        }
        FlashAttentionSpec spec = FlashAttentionSpec.causalMask();
        return new AttentionOpCase(backend, plan, new int[]{b, 1, h, d}, new int[]{b, n, kvh, d}, new int[]{b, n, kvh, d},
                new int[]{b, 1, h, d},
                (ops, q, k, v, out) -> ops.flashAttention(q, k, v, spec, out),
                reference(b, h, kvh, n, d), work(b, h, kvh, n, d));
    }

    /** Float64 softmax rows of {@link #SAMPLES} sampled (sequence, head) pairs over all n keys. */
    private static AttentionOpCase.SampledReference reference(int b, int h, int kvh, int n, int d) {
        return (q, k, v, out) -> {
            SplittableRandom pick = new SplittableRandom(11);
            SampledComparison c = new SampledComparison();
            for (int s = 0; s < SAMPLES; s++) {
                int bb = pick.nextInt(b);
                int hh = pick.nextInt(h);
                int[] keys = new int[n];
                for (int j = 0; j < n; j++) {
                    keys[j] = ((bb * n + j) * kvh + hh / (h / kvh)) * d;
                }
                int at = (bb * h + hh) * d;
                c.add(out, at, References.softmaxRow(q, at, k, v, keys, d, 1 / Math.sqrt(d)));
            }
            return c.build(AttentionOpCase.TOLERANCE, "float64 reference of " + SAMPLES + " sampled heads");
        };
    }
}
