package dev.flashj.cuda.bench;

import dev.flashj.cuda.CudaTestSupport;
import dev.flashj.cuda.kernels.CudaOps;
import dev.flashj.cuda.kernels.CudaStorage;
import dev.flashj.cuda.kernels.DeviceMatrix;
import dev.flashj.cuda.kernels.DeviceWeight;
import dev.flashj.cuda.kernels.QuantFormat;
import dev.flashj.cuda.kernels.QuantizedMatrix;
import dev.flashj.cuda.quant.Fp8TileLayout;
import dev.flashj.cuda.quant.Int4TileLayout;
import dev.flashj.cuda.runtime.CudaEvent;
import dev.flashj.cuda.runtime.DeviceBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Times the quantized-weight kernels against FlashJ's fp16 path on the issue #8 shapes, measured in the same
 * run and interleaved (reference, quantized, reference, quantized, ...; medians of 20 launches after 3 warm-ups,
 * CUDA events): W4A16 (INT4 g128 and g32), FP8 and GGUF Q8_0/Q4_0/Q4_K/Q6_K GEMV for 1-16 tokens on 4096 x 14336 and
 * 14336 x 4096, the two prefill routes (dequantizing kernels, dequantize + fp16 GEMM) at 32-512 tokens, and the
 * W8A8 FP8 GEMM at 8192^3 and 512 x 14336 x 4096 (activation quantization included). Weights are
 * filled with bounded random bytes: speed does not depend on their values. Prints
 * "flashj | kernel | shape | ms | rate | x fp16" lines; run on the GPU machine by scripts/gpu-check.sh, not a test.
 */
public final class CudaQuantBench {
    private static final int WARMUP = 3;
    private static final int RUNS = 20;
    private static final int ROUNDS = 3;

    private final CudaTestSupport gpu;
    private final CudaOps ops;

    private CudaQuantBench(CudaTestSupport gpu) {
        this.gpu = gpu;
        this.ops = gpu.ops(CudaStorage.F16);
    }

    public static void main(String[] args) {
        try (CudaTestSupport gpu = CudaTestSupport.openOrSkip()) {
            System.out.println("device: " + gpu.device.describe() + ", driver " + gpu.cuda.driverVersion());
            CudaQuantBench bench = new CudaQuantBench(gpu);
            for (int[] shape : new int[][] {{4096, 14336}, {14336, 4096}}) {
                for (QuantFormat format : QuantFormat.values()) {
                    for (int tokens : format == QuantFormat.FP8_E4M3 ? new int[] {1, 2, 4, 8, 16} : new int[] {1, 16}) {
                        bench.gemv(format, shape[0], shape[1], tokens);
                    }
                }
            }
            for (QuantFormat format : new QuantFormat[] {QuantFormat.INT4_G128, QuantFormat.FP8_E4M3, QuantFormat.Q4_0}) {
                for (int tokens : new int[] {32, 64, 128, 512}) {
                    bench.prefill(format, 4096, 14336, tokens);
                }
            }
            bench.w8a8(8192, 8192, 8192);
            bench.w8a8(512, 14336, 4096);
        } catch (org.opentest4j.TestAbortedException e) {
            System.out.println("benchmarks skipped: " + e.getMessage());
        }
    }

    /** {@code bytes} bytes of a repeating random pattern with every byte below 0x40: finite f16 and E4M3 values. */
    private DeviceBuffer pattern(long bytes, String purpose) {
        DeviceBuffer b = gpu.allocate(bytes, purpose);
        int block = (int) Math.min(bytes, 1 << 22);
        Random random = new Random(purpose.hashCode());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(block, 16);
            for (int i = 0; i < block; i++) {
                p.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt(0x40));
            }
            for (long done = 0; done < bytes; done += block) {
                gpu.stream.copyToDevice(b, done, p.asSlice(0, Math.min(block, bytes - done)));
            }
            gpu.stream.synchronize();
        }
        return b;
    }

    private QuantizedMatrix quantized(QuantFormat format, int rows, int cols) {
        return switch (format) {
            case Q8_0, Q4_0, Q4_K, Q6_K -> new QuantizedMatrix(format, pattern(format.type().matrixBytes(rows, cols), "gguf"), null, rows, cols);
            case INT4_G128, INT4_G32 -> new QuantizedMatrix(format, pattern(Int4TileLayout.codeBytes(rows, cols), "int4"),
                    pattern(Int4TileLayout.paramBytes(format.type(), rows, cols), "int4 params"), rows, cols);
            case FP8_E4M3 -> new QuantizedMatrix(format, pattern(Fp8TileLayout.codeBytes(rows, cols), "fp8"),
                    pattern(Fp8TileLayout.scaleBytes(rows), "fp8 scales"), rows, cols);
        };
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

    /** Medians of ROUNDS alternating timings of the reference and the candidate: {reference ms, candidate ms}. */
    private double[] interleaved(Runnable reference, Runnable candidate) {
        double[] ref = new double[ROUNDS];
        double[] cand = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            ref[r] = time(reference);
            cand[r] = time(candidate);
        }
        Arrays.sort(ref);
        Arrays.sort(cand);
        return new double[] {ref[ROUNDS / 2], cand[ROUNDS / 2]};
    }

    private static long weightBytes(DeviceWeight w) {
        return switch (w) {
            case DeviceMatrix m -> m.buffer().byteSize();
            case QuantizedMatrix q -> q.data().byteSize() + (q.params() == null ? 0 : q.params().byteSize());
        };
    }

    private void gemv(QuantFormat format, int rows, int cols, int tokens) {
        DeviceBuffer x = pattern(2L * tokens * cols, "x");
        DeviceMatrix fp16 = new DeviceMatrix(pattern(2L * rows * cols, "w fp16"), rows, cols);
        QuantizedMatrix q = quantized(format, rows, cols);
        DeviceBuffer out = gpu.allocate(4L * tokens * rows, "out");
        double[] ms = interleaved(() -> ops.matmul(fp16, x, 0, out, 0, rows, tokens, true, false),
                () -> ops.matmul(q, x, 0, out, 0, rows, tokens, true, false));
        String shape = "rows=" + rows + " k=" + cols + " tokens=" + tokens;
        report("fp16 matmul (reference)", shape, ms[0], weightBytes(fp16), 1);
        report(format + " gemv", shape, ms[1], weightBytes(q), ms[0] / ms[1]);
        free(x, fp16.buffer(), q.data(), q.params(), out);
    }

    /**
     * The two prefill routes for quantized weights against the fp16 GEMM: the dequantizing kernels (16 tokens per
     * block) and dequantize-to-scratch + fp16 GEMM (what CudaOps picks above DEQUANTIZE_ABOVE_TOKENS).
     */
    private void prefill(QuantFormat format, int rows, int cols, int tokens) {
        DeviceBuffer x = pattern(2L * tokens * cols, "x");
        DeviceMatrix fp16 = new DeviceMatrix(pattern(2L * rows * cols, "w fp16"), rows, cols);
        QuantizedMatrix q = quantized(format, rows, cols);
        DeviceBuffer scratch = gpu.allocate(CudaOps.dequantizeScratchBytes(q), "scratch");
        DeviceBuffer out = gpu.allocate(4L * tokens * rows, "out");
        double[] direct = interleaved(() -> ops.matmul(fp16, x, 0, out, 0, rows, tokens, true, false),
                () -> ops.matmul(q, x, 0, out, 0, rows, tokens, true, false));
        double[] viaScratch = interleaved(() -> ops.matmul(fp16, x, 0, out, 0, rows, tokens, true, false), () -> {
            ops.dequantize(q, scratch);
            ops.matmul(new DeviceMatrix(scratch, rows, cols), x, 0, out, 0, rows, tokens, true, false);
        });
        String shape = "rows=" + rows + " k=" + cols + " tokens=" + tokens;
        double flops = 2.0 * rows * cols * tokens;
        prefillLine("fp16 gemm (reference)", shape, direct[0], flops, 1);
        prefillLine(format + " dequantizing kernel", shape, direct[1], flops, direct[0] / direct[1]);
        prefillLine(format + " dequantize + fp16 gemm", shape, viaScratch[1], flops, viaScratch[0] / viaScratch[1]);
        free(x, fp16.buffer(), q.data(), q.params(), scratch, out);
    }

    private static void prefillLine(String kernel, String shape, double ms, double flops, double speedup) {
        System.out.println(String.format(Locale.ROOT, "flashj | prefill %s | %s | %.4f ms | %.1f TFLOP/s | %.2fx fp16", kernel,
                shape, ms, flops / (ms * 1e-3) / 1e12, speedup));
    }

    private void w8a8(int m, int n, int k) {
        DeviceBuffer x = pattern(2L * m * k, "x");
        DeviceMatrix fp16 = new DeviceMatrix(pattern(2L * n * k, "w fp16"), n, k);
        QuantizedMatrix q = quantized(QuantFormat.FP8_E4M3, n, k);
        DeviceBuffer workspace = gpu.allocate(CudaOps.fp8ActivationBytes(m, k), "W8A8 workspace");
        DeviceBuffer out = gpu.allocate(2L * m * n, "out");
        double[] ms = interleaved(() -> ops.matmul(fp16, x, 0, out, 0, n, m, false, false),
                () -> ops.fp8Matmul(q, x, 0, workspace, out, 0, n, m, false, false));
        String shape = "m=" + m + " n=" + n + " k=" + k;
        double flops = 2.0 * m * n * k;
        System.out.println(String.format(Locale.ROOT, "flashj | gemm fp16 (reference) | %s | %.4f ms | %.1f TFLOP/s", shape,
                ms[0], flops / (ms[0] * 1e-3) / 1e12));
        System.out.println(String.format(Locale.ROOT,
                "flashj | gemm W8A8 fp8 (with activation quantization) | %s | %.4f ms | %.1f TFLOP/s | %.2fx fp16", shape, ms[1],
                flops / (ms[1] * 1e-3) / 1e12, ms[0] / ms[1]));
        free(x, fp16.buffer(), q.data(), q.params(), workspace, out);
    }

    private static void report(String kernel, String shape, double ms, long bytes, double speedup) {
        System.out.println(String.format(Locale.ROOT, "flashj | %s | %s | %.4f ms | %.1f GB/s of weights | %.2fx fp16", kernel,
                shape, ms, bytes / (ms * 1e-3) / 1e9, speedup));
    }

    private void free(DeviceBuffer... buffers) {
        gpu.stream.synchronize();
        List<DeviceBuffer> list = new ArrayList<>(Arrays.asList(buffers));
        list.removeIf(b -> b == null);
        list.forEach(DeviceBuffer::close);
    }
}
