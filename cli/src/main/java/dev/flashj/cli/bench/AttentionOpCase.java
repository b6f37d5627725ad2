package dev.flashj.cli.bench;

import dev.flashj.ops.AttentionOps;
import dev.flashj.ops.DeviceTensor;
import dev.flashj.ops.cpu.CpuAttentionOps;

import java.util.ArrayList;
import java.util.List;

/**
 * A case of an {@link AttentionOps} operator (flash, lightning, neighborhood) on any backend: q, k, v
 * uploaded {@code sets} times, one output. On the CPU the check compares sampled rows with a float64
 * reference; on a device it compares the whole output with the CPU ops on the same inputs.
 */
final class AttentionOpCase implements BenchCase {
    static final double TOLERANCE = 2e-3;

    /** Enqueues the op. */
    interface Launch {
        void run(AttentionOps ops, DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor out);
    }

    /** Sampled float64 rows of the output of set 0 (host copies of q, k, v) next to {@code out}. */
    interface SampledReference {
        Comparison compare(float[] q, float[] k, float[] v, float[] out);
    }

    private final BenchBackend backend;
    private final AttentionOps ops;
    private final Launch launch;
    private final SampledReference reference;
    private final Work work;
    private final int[] qShape;
    private final int[] kShape;
    private final int[] vShape;
    private final int[] outShape;
    private final float[] q0;
    private final float[] k0;
    private final float[] v0;
    private final List<DeviceTensor[]> sets = new ArrayList<>();
    private DeviceTensor out;

    AttentionOpCase(BenchBackend backend, InputPlan plan, int[] qShape, int[] kShape, int[] vShape, int[] outShape,
                    Launch launch, SampledReference reference, Work work) {
        this.backend = backend;
        this.ops = backend.attentionOps();
        this.launch = launch;
        this.reference = reference;
        this.work = work;
        this.qShape = qShape.clone();
        this.kShape = kShape.clone();
        this.vShape = vShape.clone();
        this.outShape = outShape.clone();
        int qn = count(qShape);
        int kn = count(kShape);
        int vn = count(vShape);
        int setCount = plan.sets(4L * (qn + kn + vn));
        this.q0 = RandomData.floats(plan.random(), qn);
        this.k0 = RandomData.floats(plan.random(), kn);
        this.v0 = RandomData.floats(plan.random(), vn);
        try {
            sets.add(new DeviceTensor[]{ops.upload(q0, qShape), ops.upload(k0, kShape), ops.upload(v0, vShape)});
            for (int s = 1; s < setCount; s++) {
                sets.add(new DeviceTensor[]{ops.upload(RandomData.floats(plan.random(), qn), qShape),
                        ops.upload(RandomData.floats(plan.random(), kn), kShape),
                        ops.upload(RandomData.floats(plan.random(), vn), vShape)});
            }
            out = ops.allocate(outShape);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    static int count(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new BenchUsageException("--shape", "a tensor of " + n + " elements does not fit a Java array");
        }
        return (int) n;
    }

    @Override
    public int inputSets() {
        return sets.size();
    }

    @Override
    public void run(int set) {
        DeviceTensor[] t = sets.get(set % sets.size());
        launch.run(ops, t[0], t[1], t[2], out);
    }

    @Override
    public Comparison check() {
        out.close();
        out = ops.upload(SampledComparison.poison(count(outShape)), outShape);
        run(0);
        float[] actual = ops.download(out);
        if (backend instanceof CpuBackend) {
            return reference.compare(q0, k0, v0, actual);
        }
        try (CpuAttentionOps cpu = new CpuAttentionOps();
             DeviceTensor q = cpu.upload(q0, qShape);
             DeviceTensor k = cpu.upload(k0, kShape);
             DeviceTensor v = cpu.upload(v0, vShape);
             DeviceTensor expected = cpu.allocate(outShape)) {
            launch.run(cpu, q, k, v, expected);
            return SampledComparison.whole(actual, cpu.download(expected), TOLERANCE, "CPU attention ops");
        }
    }

    @Override
    public Work work() {
        return work;
    }

    @Override
    public void close() {
        for (DeviceTensor[] set : sets) {
            for (DeviceTensor t : set) {
                t.close();
            }
        }
        sets.clear();
        if (out != null) {
            out.close();
            out = null;
        }
    }
}
