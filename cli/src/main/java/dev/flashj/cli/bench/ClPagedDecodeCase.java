package dev.flashj.cli.bench;

import dev.flashj.kv.PagePlan;
import dev.flashj.opencl.kernels.DevicePagePlan;
import dev.flashj.opencl.kernels.PagedKvOps;
import dev.flashj.opencl.runtime.ClBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batched decode over a paged KV cache on OpenCL ({@link PagedKvOps#decode}: the split partial
 * kernel over pages, then the combine kernel): b sequences of n entries whose pages lie in a pool in
 * shuffled order, one query each. Checked against a float64 reference of every head.
 */
final class ClPagedDecodeCase implements BenchCase {
    private final OpenClBackend backend;
    private final PagedKvOps ops;
    private final int b;
    private final int h;
    private final int kvh;
    private final int n;
    private final int d;
    private final int page;
    private final List<DeviceSet> sets = new ArrayList<>();
    private final List<ClBuffer> owned = new ArrayList<>();
    private final ClBuffer partial;
    private final ClBuffer out;
    /** Set 0 on the host, for the check. */
    private HostSet first;

    /** One set's pool (keys, values), queries and packed page plan on the device. */
    private record DeviceSet(ClBuffer q, ClBuffer keys, ClBuffer values, DevicePagePlan plan) {
    }

    private record HostSet(float[] q, float[] keys, float[] values, PagePlan plan) {
    }

    ClPagedDecodeCase(OpenClBackend backend, InputPlan plan, int b, int h, int kvh, int n, int d, int page) {
        this.backend = backend;
        this.b = b;
        this.h = h;
        this.kvh = kvh;
        this.n = n;
        this.d = d;
        this.page = page;
        int pagesPerSequence = (n + page - 1) / page;
        int poolFloats = b * pagesPerSequence * page * kvh * d;
        int qn = b * h * d;
        int setCount = plan.sets(4L * (qn + 2L * poolFloats));
        // The kernels go on the backend's model queue, whose launches timeNanos records.
        this.ops = new PagedKvOps(backend.context(), backend.queue(), OpenClBackend.MAX_HEAD_DIM);
        try {
            for (int s = 0; s < setCount; s++) {
                HostSet host = new HostSet(RandomData.floats(plan.random(), qn),
                        RandomData.floats(plan.random(), poolFloats), RandomData.floats(plan.random(), poolFloats),
                        shuffledPlan(plan.random(), pagesPerSequence));
                if (s == 0) {
                    first = host;
                }
                sets.add(upload(host));
            }
            partial = buffer(4 * PagedKvOps.decodePartialFloats(b, h, d, n, page), "paged decode partials");
            out = buffer(4L * qn, "paged decode output");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** b sequences of n entries on pages drawn from the pool in random order. */
    private PagePlan shuffledPlan(SplittableRandom random, int pagesPerSequence) {
        int[] blocks = new int[b * pagesPerSequence];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = i;
        }
        for (int i = blocks.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = blocks[i];
            blocks[i] = blocks[j];
            blocks[j] = t;
        }
        int[] qo = new int[b + 1];
        int[] indptr = new int[b + 1];
        int[] last = new int[b];
        for (int s = 0; s < b; s++) {
            qo[s + 1] = s + 1;
            indptr[s + 1] = indptr[s] + pagesPerSequence;
            last[s] = (n - 1) % page + 1;
        }
        return new PagePlan(page, qo, indptr, blocks, last);
    }

    private DeviceSet upload(HostSet host) {
        int[] packed = new int[DevicePagePlan.packedLength(host.plan())];
        ClBuffer ints = buffer(4L * packed.length, "paged decode page plan");
        DevicePagePlan devicePlan = DevicePagePlan.pack(host.plan(), packed, 0, ints);
        backend.queue().writeInts(ints, 0, packed);
        return new DeviceSet(upload(host.q(), "paged decode q"), upload(host.keys(), "paged decode key pool"),
                upload(host.values(), "paged decode value pool"), devicePlan);
    }

    private ClBuffer buffer(long bytes, String purpose) {
        ClBuffer buf = backend.context().createBuffer(bytes, purpose);
        owned.add(buf);
        return buf;
    }

    private ClBuffer upload(float[] data, String purpose) {
        ClBuffer buf = buffer(4L * data.length, purpose);
        backend.queue().writeFloats(buf, 0, data);
        return buf;
    }

    @Override
    public int inputSets() {
        return sets.size();
    }

    @Override
    public void run(int set) {
        DeviceSet t = sets.get(set % sets.size());
        ops.decode(t.q(), t.keys(), t.values(), partial, out, t.plan(), h, kvh, d, (float) (1 / Math.sqrt(d)));
    }

    /** Every head of every sequence of set 0, through the page table, in float64. */
    @Override
    public Comparison check() {
        backend.queue().fill(out, Float.NaN);
        backend.queue().fill(partial, Float.NaN);
        run(0);
        float[] actual = backend.queue().readFloats(out, 0, b * h * d);
        PagePlan plan = first.plan();
        SampledComparison c = new SampledComparison();
        int[] keys = new int[n];
        for (int s = 0; s < b; s++) {
            for (int hh = 0; hh < h; hh++) {
                int g = hh / (h / kvh);
                for (int j = 0; j < n; j++) {
                    int row = plan.indices()[plan.indptr()[s] + j / page] * page + j % page;
                    keys[j] = (row * kvh + g) * d;
                }
                int at = (s * h + hh) * d;
                c.add(actual, at, References.softmaxRow(first.q(), at, first.keys(), first.values(), keys, d,
                        1 / Math.sqrt(d)));
            }
        }
        return c.build(AttentionOpCase.TOLERANCE, "float64 reference of every head through the page table");
    }

    @Override
    public Work work() {
        return FlashDecodeOp.work(b, h, kvh, n, d);
    }

    @Override
    public void close() {
        owned.forEach(ClBuffer::close);
        owned.clear();
        sets.clear();
        ops.close();
    }
}
