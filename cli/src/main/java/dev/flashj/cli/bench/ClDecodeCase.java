package dev.flashj.cli.bench;

import dev.flashj.ops.DeviceTensor;
import dev.flashj.ops.FlashAttentionSpec;
import dev.flashj.ops.cpu.CpuAttentionOps;
import dev.flashj.opencl.kernels.OpenClOps;
import dev.flashj.opencl.runtime.ClBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * Split-KV decode on OpenCL: per sequence, the partial kernel over chunks of the cache and the
 * combine kernel (the model's decode path). Checked against the CPU flash attention ops.
 */
final class ClDecodeCase implements BenchCase {
    private final OpenClBackend backend;
    private final int b;
    private final int h;
    private final int kvh;
    private final int n;
    private final int d;
    private final Work work;
    private final int chunk;
    private final float[] q0;
    private final float[] k0;
    private final float[] v0;
    private final List<ClBuffer[]> sets = new ArrayList<>();
    private final List<ClBuffer> owned = new ArrayList<>();
    private final ClBuffer partial;
    private final ClBuffer out;

    ClDecodeCase(OpenClBackend backend, InputPlan plan, int b, int h, int kvh, int n, int d, Work work) {
        this.backend = backend;
        this.b = b;
        this.h = h;
        this.kvh = kvh;
        this.n = n;
        this.d = d;
        this.work = work;
        OpenClOps ops = backend.ops();
        this.chunk = ops.decodeChunk(n, h);
        int qn = b * h * d;
        int kn = AttentionOpCase.count(new int[]{b, n, kvh, d});
        int setCount = plan.sets(4L * (qn + 2L * kn));
        q0 = RandomData.floats(plan.random(), qn);
        k0 = RandomData.floats(plan.random(), kn);
        v0 = RandomData.floats(plan.random(), kn);
        try {
            for (int s = 0; s < setCount; s++) {
                float[] q = s == 0 ? q0 : RandomData.floats(plan.random(), qn);
                float[] k = s == 0 ? k0 : RandomData.floats(plan.random(), kn);
                float[] v = s == 0 ? v0 : RandomData.floats(plan.random(), kn);
                sets.add(new ClBuffer[]{upload(q, "decode q"), upload(k, "decode keys"), upload(v, "decode values")});
            }
            partial = buffer(4 * OpenClOps.decodePartialFloats(h, d, n), "decode partials");
            out = buffer(4L * qn, "decode output");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
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
        ClBuffer[] t = sets.get(set % sets.size());
        float scale = (float) (1 / Math.sqrt(d));
        backend.ops().decodeAttention(t[0], 0, t[1], t[2], partial, out, 0, h, kvh, d, n, chunk, scale);
    }

    @Override
    public Comparison check() {
        backend.queue().fill(out, Float.NaN);
        run(0);
        float[] actual = backend.queue().readFloats(out, 0, b * h * d);
        try (CpuAttentionOps cpu = new CpuAttentionOps();
             DeviceTensor q = cpu.upload(q0, b, 1, h, d);
             DeviceTensor k = cpu.upload(k0, b, n, kvh, d);
             DeviceTensor v = cpu.upload(v0, b, n, kvh, d)) {
            DeviceTensor expected = cpu.flashAttention(q, k, v, FlashAttentionSpec.causalMask());
            return SampledComparison.whole(actual, cpu.download(expected), AttentionOpCase.TOLERANCE, "CPU flash attention ops");
        }
    }

    @Override
    public Work work() {
        return work;
    }

    @Override
    public void close() {
        owned.forEach(ClBuffer::close);
        owned.clear();
        sets.clear();
    }
}
