package dev.flashj.cli.bench;

import dev.flashj.cpu.CpuMatrix;
import dev.flashj.cpu.MatMul;
import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@link MatMul} on weights in off-heap memory (as if mapped from a file), prepared as a model prepares them
 * ({@link CpuMatrix#prepare}: Q4_0, Q8_0, Q4_K, Q6_K and INT4 repacked for the integer decode kernels unless
 * {@code -Dflashj.cpu.repack=false}), so the figures are those of the model's own kernels; checked on sampled
 * outputs in float64.
 */
final class CpuMatMulCase implements BenchCase {
    private static final int SAMPLES = 48;
    private static final double TOLERANCE = 1e-3;

    private final CpuBackend backend;
    private final int m;
    private final int k;
    private final int n;
    private final Work work;
    private final Arena arena = Arena.ofShared();
    private final List<CpuMatrix> weights = new ArrayList<>();
    private final List<float[]> activations = new ArrayList<>();
    private final float[] out;

    CpuMatMulCase(CpuBackend backend, InputPlan plan, Dtype dtype, int m, int k, int n, Work work) {
        this.backend = backend;
        this.m = m;
        this.k = k;
        this.n = n;
        this.work = work;
        long perSet = dtype.tensorType().bytesFor((long) m * k) + 4L * k * n;
        int sets = plan.sets(perSet);
        try {
            for (int s = 0; s < sets; s++) {
                Tensor tensor = new Tensor("bench." + s, dtype.tensorType(), new long[]{m, k},
                        RandomData.weights(arena, plan.random(), dtype.tensorType(), m, k).asReadOnly());
                weights.add(CpuMatrix.prepare(tensor, arena));
                activations.add(RandomData.floats(plan.random(), AttentionOpCase.count(new int[]{n, k})));
            }
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
        out = new float[AttentionOpCase.count(new int[]{n, m})];
    }

    @Override
    public int inputSets() {
        return weights.size();
    }

    @Override
    public void run(int set) {
        int s = set % weights.size();
        MatMul.matmul(backend.threads(), weights.get(s), activations.get(s), 0, n, out, 0);
    }

    @Override
    public Comparison check() {
        Arrays.fill(out, Float.NaN);
        run(0);
        CpuMatrix matrix = weights.getFirst();
        Tensor w = matrix.source();
        float[] x = activations.getFirst();
        // A repacked matrix's decode batches multiply 8-bit activations: the reference does the same.
        boolean quantized = matrix.quantizesActivations(n);
        float[] row = new float[k];
        SplittableRandom pick = new SplittableRandom(11);
        SampledComparison c = new SampledComparison();
        for (int s = 0; s < SAMPLES; s++) {
            int r = s == 0 ? m - 1 : pick.nextInt(m);
            int t = s == 0 ? n - 1 : pick.nextInt(n);
            Dequantizer.dequantize(w, (long) r * k, row, 0, k);
            double reference = quantized ? References.dot(row, 0, References.q8Activations(x, t * k, k), 0, k)
                    : References.dot(row, 0, x, t * k, k);
            c.add(out[t * m + r], reference);
        }
        return c.build(TOLERANCE, "float64 dot of " + SAMPLES + " sampled outputs over dequantized rows"
                + (quantized ? " and activations quantized to 8 bits per 32 (llama.cpp's Q8_0 rule, as the kernel does)" : ""));
    }

    @Override
    public Work work() {
        return work;
    }

    @Override
    public void close() {
        weights.clear();
        arena.close();
    }
}
