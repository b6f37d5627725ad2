package dev.flashj.cli.bench;

import dev.flashj.cuda.kernels.CudaOps;
import dev.flashj.cuda.kernels.CudaStorage;
import dev.flashj.cuda.runtime.DeviceBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@link CudaOps#rmsNorm}: f32 rows and weights in, 16-bit rows out (the model's pre-matmul norm).
 * Checked on sampled rows against {@link RmsNormOp#referenceRow}.
 */
final class CudaRmsNormCase implements BenchCase {
    private final CudaBackend backend;
    private final CudaStorage storage;
    private final CudaOps ops;
    private final float[] first;
    private final float[] weight;
    private final int rows;
    private final int dim;
    private final Work work;
    private final List<DeviceBuffer> inputs = new ArrayList<>();
    private DeviceBuffer weightBuffer;
    private DeviceBuffer out;

    CudaRmsNormCase(CudaBackend backend, CudaStorage storage, List<float[]> hostInputs, float[] weight, int rows, int dim,
                    Work work) {
        this.backend = backend;
        this.storage = storage;
        this.ops = backend.ops(storage);
        this.first = hostInputs.getFirst();
        this.weight = weight;
        this.rows = rows;
        this.dim = dim;
        this.work = work;
        try {
            for (int s = 0; s < hostInputs.size(); s++) {
                inputs.add(CudaData.uploadFloats(backend, hostInputs.get(s), "rmsnorm input " + s));
            }
            weightBuffer = CudaData.uploadFloats(backend, weight, "rmsnorm weight");
            out = backend.context().allocate(CudaData.bytes16((long) rows * dim), "rmsnorm output");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public int inputSets() {
        return inputs.size();
    }

    @Override
    public void run(int set) {
        ops.rmsNorm(inputs.get(set % inputs.size()), 0, weightBuffer, out, 0, rows, dim, RmsNormOp.EPS);
    }

    @Override
    public Comparison check() {
        CudaData.poison(backend, storage, out, (long) rows * dim);
        run(0);
        float[] actual = CudaData.download(backend, storage, out, rows * dim);
        SplittableRandom pick = new SplittableRandom(11);
        SampledComparison c = new SampledComparison();
        for (int s = 0; s < RmsNormOp.SAMPLES; s++) {
            int r = s == 0 ? rows - 1 : pick.nextInt(rows);
            c.add(actual, r * dim, RmsNormOp.referenceRow(first, r * dim, weight));
        }
        return c.build(CudaData.tolerance(storage), "float64 reference of " + RmsNormOp.SAMPLES + " sampled rows");
    }

    @Override
    public Work work() {
        return work;
    }

    @Override
    public void close() {
        inputs.forEach(DeviceBuffer::close);
        inputs.clear();
        if (weightBuffer != null) {
            weightBuffer.close();
            weightBuffer = null;
        }
        if (out != null) {
            out.close();
            out = null;
        }
    }
}
