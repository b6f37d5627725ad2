package dev.flashj.cli.bench;

import dev.flashj.cuda.kernels.CudaOps;
import dev.flashj.cuda.kernels.CudaStorage;
import dev.flashj.cuda.runtime.DeviceBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * An attention kernel of kernels-cuda (flash attention over a packed batch, or split-KV decode) on
 * 16-bit q, k, v uploaded {@code sets} times, one 16-bit output. The check runs the op's sampled
 * float64 reference on the rounded host copies of set 0, with the storage type's tolerance.
 */
final class CudaAttentionCase implements BenchCase {
    /** The largest head size the flash attention kernels take (64 and 128 on tensor cores, others generic). */
    static final int MAX_HEAD_DIM = 256;

    /** Enqueues the kernel(s) on the backend's stream. */
    interface Launch {
        void run(CudaOps ops, DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer out, DeviceBuffer workspace);
    }

    private final CudaBackend backend;
    private final CudaStorage storage;
    private final CudaOps ops;
    private final Launch launch;
    private final AttentionOpCase.SampledReference reference;
    private final Work work;
    private final int outCount;
    private final float[] q0;
    private final float[] k0;
    private final float[] v0;
    private final List<DeviceBuffer[]> sets = new ArrayList<>();
    private DeviceBuffer workspace;
    private DeviceBuffer out;

    /**
     * @param qCount    elements of q (and of the output)
     * @param kvCount   elements of k and of v each
     * @param workspace makes the buffer the launch needs besides q, k, v, out (sequence offsets, decode partials)
     */
    CudaAttentionCase(CudaBackend backend, InputPlan plan, Dtype dtype, int qCount, int kvCount,
                      Function<CudaBackend, DeviceBuffer> workspace, Launch launch,
                      AttentionOpCase.SampledReference reference, Work work) {
        this.backend = backend;
        this.storage = CudaData.storage(dtype);
        this.ops = backend.ops(storage);
        this.launch = launch;
        this.reference = reference;
        this.work = work;
        this.outCount = qCount;
        int setCount = plan.sets(2L * qCount + 4L * kvCount);
        q0 = CudaData.round(storage, RandomData.floats(plan.random(), qCount));
        k0 = CudaData.round(storage, RandomData.floats(plan.random(), kvCount));
        v0 = CudaData.round(storage, RandomData.floats(plan.random(), kvCount));
        try {
            for (int s = 0; s < setCount; s++) {
                float[] q = s == 0 ? q0 : RandomData.floats(plan.random(), qCount);
                float[] k = s == 0 ? k0 : RandomData.floats(plan.random(), kvCount);
                float[] v = s == 0 ? v0 : RandomData.floats(plan.random(), kvCount);
                sets.add(new DeviceBuffer[]{CudaData.upload(backend, storage, q, "attention q " + s),
                        CudaData.upload(backend, storage, k, "attention k " + s),
                        CudaData.upload(backend, storage, v, "attention v " + s)});
            }
            out = backend.context().allocate(CudaData.bytes16(qCount), "attention output");
            this.workspace = workspace.apply(backend);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public int inputSets() {
        return sets.size();
    }

    @Override
    public void run(int set) {
        DeviceBuffer[] t = sets.get(set % sets.size());
        launch.run(ops, t[0], t[1], t[2], out, workspace);
    }

    @Override
    public Comparison check() {
        CudaData.poison(backend, storage, out, outCount);
        run(0);
        float[] actual = CudaData.download(backend, storage, out, outCount);
        Comparison sampled = reference.compare(q0, k0, v0, actual);
        return new Comparison(sampled.actual(), sampled.expected(), CudaData.tolerance(storage),
                sampled.reference() + " over the " + storage.suffix() + " inputs");
    }

    @Override
    public Work work() {
        return work;
    }

    @Override
    public void close() {
        for (DeviceBuffer[] set : sets) {
            for (DeviceBuffer b : set) {
                b.close();
            }
        }
        sets.clear();
        if (workspace != null) {
            workspace.close();
            workspace = null;
        }
        if (out != null) {
            out.close();
            out = null;
        }
    }
}
