package dev.flashj.cli.bench;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.MatMul;
import dev.flashj.opencl.kernels.DeviceMatrix;
import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The OpenCL matvec (n up to 4) or tiled matmul kernel on f32 or f16 weights; checked against
 * {@link MatMul} on the CPU over the same weight bytes.
 */
final class ClMatMulCase implements BenchCase {
    private static final double TOLERANCE = 1e-3;

    private final OpenClBackend backend;
    private final Dtype dtype;
    private final int m;
    private final int k;
    private final int n;
    private final Work work;
    private final List<DeviceMatrix> weights = new ArrayList<>();
    private final List<ClBuffer> activations = new ArrayList<>();
    private final List<ClBuffer> owned = new ArrayList<>();
    private final MemorySegment firstWeights;
    private final float[] firstActivations;
    private final Arena arena = Arena.ofShared();
    private ClBuffer out;

    ClMatMulCase(OpenClBackend backend, InputPlan plan, Dtype dtype, int m, int k, int n, Work work) {
        this.backend = backend;
        this.dtype = dtype;
        this.m = m;
        this.k = k;
        this.n = n;
        this.work = work;
        boolean f16 = dtype == Dtype.F16;
        long weightBytes = (long) m * k * (f16 ? 2 : 4);
        int sets = plan.sets(weightBytes + 4L * k * n);
        MemorySegment first = null;
        float[] firstX = null;
        try {
            for (int s = 0; s < sets; s++) {
                ClBuffer w = buffer(weightBytes, "bench weights " + s);
                if (s == 0) {
                    // Set 0's bytes stay on the host for the check.
                    first = RandomData.weights(arena, plan.random(), dtype.tensorType(), m, k);
                    backend.queue().write(w, 0, first);
                } else {
                    try (Arena staging = Arena.ofConfined()) {
                        backend.queue().write(w, 0, RandomData.weights(staging, plan.random(), dtype.tensorType(), m, k));
                    }
                }
                weights.add(new DeviceMatrix(w, m, k, f16));
                float[] x = RandomData.floats(plan.random(), AttentionOpCase.count(new int[]{n, k}));
                if (s == 0) {
                    firstX = x;
                }
                ClBuffer xb = buffer(4L * x.length, "bench activations " + s);
                backend.queue().writeFloats(xb, 0, x);
                activations.add(xb);
            }
            out = buffer(4L * n * m, "bench output");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.firstWeights = first;
        this.firstActivations = firstX;
    }

    private ClBuffer buffer(long bytes, String purpose) {
        ClBuffer b = backend.context().createBuffer(bytes, purpose);
        owned.add(b);
        return b;
    }

    @Override
    public int inputSets() {
        return weights.size();
    }

    @Override
    public void run(int set) {
        int s = set % weights.size();
        backend.ops().matmul(weights.get(s), activations.get(s), 0, out, 0, n);
    }

    @Override
    public Comparison check() {
        backend.queue().fill(out, Float.NaN);
        run(0);
        float[] actual = backend.queue().readFloats(out, 0, n * m);
        float[] expected = new float[n * m];
        Tensor w = new Tensor("bench.0", dtype.tensorType(), new long[]{m, k}, firstWeights);
        try (CpuThreads threads = new CpuThreads(CpuThreads.defaultThreads())) {
            MatMul.matmul(threads, w, firstActivations, 0, n, expected, 0);
        }
        return SampledComparison.whole(actual, expected, TOLERANCE, "CPU MatMul on the same weights");
    }

    @Override
    public Work work() {
        return work;
    }

    @Override
    public void close() {
        owned.forEach(ClBuffer::close);
        owned.clear();
        arena.close();
    }
}
