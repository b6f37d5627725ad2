package dev.flashj.cli.bench;

import dev.flashj.kv.BlockPool;
import dev.flashj.kv.BlockTable;
import dev.flashj.kv.KvBudget;
import dev.flashj.kv.KvLayout;
import dev.flashj.kv.PagePlan;
import dev.flashj.kv.PagedAttention;
import dev.flashj.kv.PagedSequence;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batched decode over a paged KV cache ({@link PagedAttention}, the CPU model's attention): b
 * sequences of n cached tokens in pages of {@code page} tokens, one query token each. On OpenCL,
 * the device's paged kernels ({@link ClPagedDecodeCase}).
 */
final class PagedDecodeOp implements BenchOp {
    private static final int SAMPLES = 16;

    private final ShapeSchema schema = new ShapeSchema()
            .key("b", "sequences", 4)
            .key("h", "query heads", 32)
            .key("kvh", "key/value heads", 8)
            .key("n", "cached tokens per sequence", 2048)
            .key("d", "head size", 128)
            .key("page", "tokens per page", 16)
            .preset("small", "b=3,h=4,kvh=2,n=50,d=32,page=16");

    @Override
    public String name() {
        return "paged-decode";
    }

    @Override
    public String summary() {
        return "one query token per sequence over a paged KV cache (kv.PagedAttention; OpenCL PagedKvOps.decode)";
    }

    @Override
    public ShapeSchema schema() {
        return schema;
    }

    @Override
    public List<Dtype> dtypes(BenchBackend backend) {
        return backend instanceof CpuBackend || backend instanceof OpenClBackend ? List.of(Dtype.F32) : List.of();
    }

    @Override
    public void validate(BenchBackend backend, Shape shape, Dtype dtype) {
        Shapes.requireGroups(shape.get("h"), shape.get("kvh"));
        if (backend instanceof OpenClBackend && shape.get("d") > OpenClBackend.MAX_HEAD_DIM) {
            throw new BenchUsageException("--shape", "d=" + shape.get("d") + " exceeds the " + OpenClBackend.MAX_HEAD_DIM
                    + " the OpenCL paged kernels are built for");
        }
    }

    @Override
    public BenchCase prepare(BenchBackend backend, Shape shape, Dtype dtype, InputPlan plan) {
        validate(backend, shape, dtype);
        if (backend instanceof OpenClBackend cl) {
            return new ClPagedDecodeCase(cl, plan, shape.get("b"), shape.get("h"), shape.get("kvh"), shape.get("n"),
                    shape.get("d"), shape.get("page"));
        }
        return new PagedCase((CpuBackend) backend, plan, shape.get("b"), shape.get("h"), shape.get("kvh"), shape.get("n"),
                shape.get("d"), shape.get("page"));
    }

    /** One set: its own sequences (pages scattered in one pool) and queries. */
    private record Set(List<PagedSequence> sequences, PagePlan pagePlan, float[] q) {
    }

    private static final class PagedCase implements BenchCase {
        private final CpuBackend backend;
        private final int b;
        private final int h;
        private final int kvh;
        private final int n;
        private final int d;
        private final BlockPool pool;
        private final PagedAttention attention;
        private final List<Set> sets = new ArrayList<>();
        private final float[] k0;
        private final float[] v0;
        private final float[] out;

        PagedCase(CpuBackend backend, InputPlan plan, int b, int h, int kvh, int n, int d, int page) {
            this.backend = backend;
            this.b = b;
            this.h = h;
            this.kvh = kvh;
            this.n = n;
            this.d = d;
            int kvDim = kvh * d;
            long bytesPerSet = 4L * (2L * b * n * kvDim + (long) b * h * d);
            int setCount = plan.sets(bytesPerSet);
            KvLayout layout = new KvLayout(1, kvh, d, page);
            this.pool = new BlockPool(layout, new KvBudget.Tokens((long) setCount * b * (n + page)));
            this.attention = new PagedAttention(h, kvh, d, backend.threads().size());
            this.out = new float[b * h * d];
            this.k0 = RandomData.floats(plan.random(), n * kvDim);
            this.v0 = RandomData.floats(plan.random(), n * kvDim);
            int[] ones = new int[b];
            Arrays.fill(ones, 1);
            for (int s = 0; s < setCount; s++) {
                List<PagedSequence> sequences = new ArrayList<>();
                List<BlockTable> tables = new ArrayList<>();
                for (int i = 0; i < b; i++) {
                    PagedSequence seq = new PagedSequence(pool);
                    if (!seq.reserve(n).granted()) {
                        throw new IllegalStateException("KV pool too small for the benchmark's sequences");
                    }
                    boolean first = s == 0 && i == 0;
                    seq.append(0, first ? k0 : RandomData.floats(plan.random(), n * kvDim),
                            first ? v0 : RandomData.floats(plan.random(), n * kvDim), 0, n);
                    sequences.add(seq);
                    tables.add(seq.table(0));
                }
                sets.add(new Set(sequences, PagePlan.of(page, ones, tables), RandomData.floats(plan.random(), b * h * d)));
            }
        }

        @Override
        public int inputSets() {
            return sets.size();
        }

        @Override
        public void run(int set) {
            Set s = sets.get(set % sets.size());
            attention.run(backend.threads(), pool, s.pagePlan(), s.q(), out);
        }

        /** Sampled heads of sequence 0 of set 0, whose keys and values are kept on the host. */
        @Override
        public Comparison check() {
            Arrays.fill(out, Float.NaN);
            run(0);
            float[] q = sets.getFirst().q();
            SplittableRandom pick = new SplittableRandom(11);
            SampledComparison c = new SampledComparison();
            int[] keys = new int[n];
            for (int s = 0; s < SAMPLES; s++) {
                int hh = pick.nextInt(h);
                for (int j = 0; j < n; j++) {
                    keys[j] = (j * kvh + hh / (h / kvh)) * d;
                }
                c.add(out, hh * d, References.softmaxRow(q, hh * d, k0, v0, keys, d, 1 / Math.sqrt(d)));
            }
            for (float o : out) {
                if (Float.isNaN(o)) {
                    c.add(o, 0);
                    break;
                }
            }
            return c.build(AttentionOpCase.TOLERANCE, "float64 reference of " + SAMPLES + " sampled heads");
        }

        @Override
        public Work work() {
            return FlashDecodeOp.work(b, h, kvh, n, d);
        }

        @Override
        public void close() {
            for (Set s : sets) {
                s.sequences().forEach(PagedSequence::close);
            }
            sets.clear();
        }
    }
}
