package dev.flashj.cli.bench;

import dev.flashj.cuda.kernels.CudaOps;
import dev.flashj.cuda.kernels.CudaStorage;
import dev.flashj.cuda.kernels.DeviceMatrix;
import dev.flashj.cuda.runtime.DeviceBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@link CudaOps#matmul} with 16-bit weights [m, k] and activations [n, k], 16-bit output [n, m]: the
 * GEMV kernel for n = 1, the tensor-core GEMM otherwise (the simple GEMM when k is not a multiple
 * of 8). Checked on sampled outputs against float64 dots over the same rounded inputs.
 */
final class CudaMatMulCase implements BenchCase {
    private static final int SAMPLES = 48;

    private final CudaBackend backend;
    private final CudaStorage storage;
    private final CudaOps ops;
    private final int m;
    private final int k;
    private final int n;
    private final Work work;
    private final List<DeviceMatrix> weights = new ArrayList<>();
    private final List<DeviceBuffer> activations = new ArrayList<>();
    private final float[] firstWeights;
    private final float[] firstActivations;
    private DeviceBuffer out;

    CudaMatMulCase(CudaBackend backend, InputPlan plan, Dtype dtype, int m, int k, int n, Work work) {
        this.backend = backend;
        this.storage = CudaData.storage(dtype);
        this.ops = backend.ops(storage);
        this.m = m;
        this.k = k;
        this.n = n;
        this.work = work;
        int sets = plan.sets(2L * m * k + 2L * n * k);
        float[] firstW = null;
        float[] firstX = null;
        try {
            for (int s = 0; s < sets; s++) {
                // Weights of magnitude 1/sqrt(k) keep the outputs of order one, as in a model.
                float[] w = CudaData.round(storage, RandomData.floats(plan.random(), AttentionOpCase.count(new int[]{m, k}),
                        -1 / Math.sqrt(k), 1 / Math.sqrt(k)));
                float[] x = CudaData.round(storage, RandomData.floats(plan.random(), AttentionOpCase.count(new int[]{n, k})));
                weights.add(new DeviceMatrix(CudaData.upload(backend, storage, w, "bench weights " + s), m, k));
                activations.add(CudaData.upload(backend, storage, x, "bench activations " + s));
                if (s == 0) {
                    firstW = w;
                    firstX = x;
                }
            }
            out = backend.context().allocate(CudaData.bytes16((long) n * m), "bench output");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.firstWeights = firstW;
        this.firstActivations = firstX;
    }

    @Override
    public int inputSets() {
        return weights.size();
    }

    @Override
    public void run(int set) {
        int s = set % weights.size();
        ops.matmul(weights.get(s), activations.get(s), 0, out, 0, m, n, false, false);
    }

    @Override
    public Comparison check() {
        CudaData.poison(backend, storage, out, (long) n * m);
        run(0);
        float[] actual = CudaData.download(backend, storage, out, n * m);
        SplittableRandom pick = new SplittableRandom(11);
        SampledComparison c = new SampledComparison();
        for (int s = 0; s < SAMPLES; s++) {
            int r = s == 0 ? m - 1 : pick.nextInt(m);
            int t = s == 0 ? n - 1 : pick.nextInt(n);
            c.add(actual[t * m + r], References.dot(firstWeights, r * k, firstActivations, t * k, k));
        }
        return c.build(CudaData.tolerance(storage), "float64 dot of " + SAMPLES + " sampled outputs over the "
                + storage.suffix() + " inputs");
    }

    @Override
    public Work work() {
        return work;
    }

    @Override
    public void close() {
        weights.forEach(w -> w.buffer().close());
        weights.clear();
        activations.forEach(DeviceBuffer::close);
        activations.clear();
        if (out != null) {
            out.close();
            out = null;
        }
    }
}
