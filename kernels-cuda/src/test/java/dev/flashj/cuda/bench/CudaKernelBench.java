package dev.flashj.cuda.bench;

import dev.flashj.cuda.CudaTestSupport;
import dev.flashj.cuda.kernels.CudaOps;
import dev.flashj.cuda.kernels.CudaStorage;
import dev.flashj.cuda.kernels.DeviceMatrix;
import dev.flashj.cuda.runtime.CudaEvent;
import dev.flashj.cuda.runtime.DeviceBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Times the CUDA kernels on LLaMA-sized shapes with CUDA events: 3 warm-up launches, then the median of
 * 20 timed ones. Prints one line per case ("flashj | kernel | shape | ms | rate"), in the same format as
 * scripts/gpu-torch-reference.py so the two can be put side by side. Run on the GPU machine by
 * scripts/gpu-check.sh; not a test.
 */
public final class CudaKernelBench {
    private static final int WARMUP = 3;
    private static final int RUNS = 20;

    private final CudaTestSupport gpu;
    private final CudaOps ops;
    private final CudaStorage storage = CudaStorage.F16;

    private CudaKernelBench(CudaTestSupport gpu) {
        this.gpu = gpu;
        this.ops = gpu.ops(storage);
    }

    public static void main(String[] args) {
        try (CudaTestSupport gpu = CudaTestSupport.openOrSkip()) {
            System.out.println("device: " + gpu.device.describe() + ", driver " + gpu.cuda.driverVersion());
            CudaKernelBench bench = new CudaKernelBench(gpu);
            for (int[] s : new int[][] {{512, 4096, 4096}, {4096, 4096, 4096}, {2048, 14336, 4096}, {8192, 8192, 8192}}) {
                bench.gemm(s[0], s[1], s[2]);
            }
            for (int[] s : new int[][] {{4096, 4096}, {14336, 4096}, {4096, 14336}, {128256, 4096}}) {
                bench.gemv(s[0], s[1]);
            }
            for (boolean causal : new boolean[] {true, false}) {
                bench.flash(4096, 32, 8, 128, causal);
                bench.flash(4096, 32, 32, 64, causal);
            }
            bench.flash(16384, 32, 8, 128, true);
            for (int kv : new int[] {1024, 4096, 32768}) {
                bench.decode(kv, 32, 8, 128);
            }
        } catch (org.opentest4j.TestAbortedException e) {
            System.out.println("benchmarks skipped: " + e.getMessage());
        }
    }

    /** A buffer of {@code elements} 16-bit values in [-1, 1), filled from a repeating random block. */
    private DeviceBuffer random16(long elements, String purpose) {
        DeviceBuffer b = gpu.allocate(2 * elements, purpose);
        int block = (int) Math.min(elements, 1 << 20);
        Random random = new Random(purpose.hashCode());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pattern = arena.allocate(ValueLayout.JAVA_SHORT, block);
            for (int i = 0; i < block; i++) {
                pattern.setAtIndex(ValueLayout.JAVA_SHORT, i, storage.encode((float) (random.nextDouble() * 2 - 1)));
            }
            for (long done = 0; done < elements; done += block) {
                long n = Math.min(block, elements - done);
                gpu.stream.copyToDevice(b, 2 * done, pattern.asSlice(0, 2 * n));
            }
            gpu.stream.synchronize();
        }
        return b;
    }

    /** Median milliseconds of {@code launch}, timed on the GPU. */
    private double time(Runnable launch) {
        for (int i = 0; i < WARMUP; i++) {
            launch.run();
        }
        double[] ms = new double[RUNS];
        try (CudaEvent start = gpu.context.createEvent(); CudaEvent end = gpu.context.createEvent()) {
            for (int i = 0; i < RUNS; i++) {
                start.record(gpu.stream);
                launch.run();
                end.record(gpu.stream);
                end.synchronize();
                ms[i] = end.millisecondsSince(start);
            }
        }
        Arrays.sort(ms);
        return ms[RUNS / 2];
    }

    private static void report(String kernel, String shape, double ms, double amount, String unit) {
        System.out.println(String.format(Locale.ROOT, "flashj | %s | %s | %.4f ms | %.1f %s", kernel, shape, ms,
                amount / (ms * 1e-3) / 1e12 * (unit.equals("GB/s") ? 1e3 : 1), unit));
    }

    private void gemm(int m, int n, int k) {
        DeviceBuffer x = random16((long) m * k, "x");
        DeviceMatrix w = new DeviceMatrix(random16((long) n * k, "w"), n, k);
        DeviceBuffer out = gpu.allocate(2L * m * n, "out");
        double ms = time(() -> ops.matmul(w, x, 0, out, 0, n, m, false, false));
        report("gemm fp16", "m=" + m + " n=" + n + " k=" + k, ms, 2.0 * m * n * k, "TFLOP/s");
        freeAll(x, w.buffer(), out);
    }

    private void gemv(int n, int k) {
        DeviceBuffer x = random16(k, "x");
        DeviceMatrix w = new DeviceMatrix(random16((long) n * k, "w"), n, k);
        DeviceBuffer out = gpu.allocate(4L * n, "out");
        double ms = time(() -> ops.matmul(w, x, 0, out, 0, n, 1, true, false));
        report("gemv fp16", "n=" + n + " k=" + k, ms, 2.0 * n * k, "GB/s");
        freeAll(x, w.buffer(), out);
    }

    private void flash(int tokens, int heads, int kvHeads, int headDim, boolean causal) {
        DeviceBuffer q = random16((long) tokens * heads * headDim, "q");
        DeviceBuffer k = random16((long) tokens * kvHeads * headDim, "k");
        DeviceBuffer v = random16((long) tokens * kvHeads * headDim, "v");
        DeviceBuffer out = gpu.allocate(2L * tokens * heads * headDim, "out");
        DeviceBuffer offsets = gpu.ints(new int[] {0, tokens}, "offsets");
        float scale = (float) (1 / Math.sqrt(headDim));
        double ms = time(() -> ops.flashAttention(q, 0, k, 0, v, 0, out, 0, null, offsets, 0, offsets, 0, 1, tokens, tokens,
                heads, kvHeads, headDim, scale, causal));
        double flops = 4.0 * tokens * tokens * headDim * heads / (causal ? 2 : 1);
        report("flash attention fp16", "N=" + tokens + " heads=" + heads + "/" + kvHeads + " d=" + headDim
                + (causal ? " causal" : ""), ms, flops, "TFLOP/s");
        freeAll(q, k, v, out, offsets);
    }

    private void decode(int kvLen, int heads, int kvHeads, int headDim) {
        DeviceBuffer q = random16((long) heads * headDim, "q");
        DeviceBuffer k = random16((long) kvLen * kvHeads * headDim, "k");
        DeviceBuffer v = random16((long) kvLen * kvHeads * headDim, "v");
        DeviceBuffer out = gpu.allocate(2L * heads * headDim, "out");
        DeviceBuffer partial = gpu.allocate(4 * CudaOps.decodePartialFloats(heads, headDim, kvLen, gpu.device.multiprocessors()),
                "partial");
        float scale = (float) (1 / Math.sqrt(headDim));
        double ms = time(() -> ops.decodeAttention(q, 0, k, v, partial, out, 0, null, heads, kvHeads, headDim, kvLen, scale));
        report("decode attention fp16", "kv=" + kvLen + " heads=" + heads + "/" + kvHeads + " d=" + headDim, ms,
                2.0 * 2 * kvLen * kvHeads * headDim, "GB/s");
        freeAll(q, k, v, out, partial);
    }

    private void freeAll(DeviceBuffer... buffers) {
        gpu.stream.synchronize();
        for (DeviceBuffer b : buffers) {
            b.close();
        }
    }
}
