package dev.flashj.bench;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.MemoryReadBandwidth;
import dev.flashj.cpu.MatMul;
import dev.flashj.tensor.Int4Layout;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Matrix-vector GB/s of FlashJ's INT4 and FP8 formats next to F16, Q8_0 and Q4_0, each row with the
 * memory-read bandwidth measured in passes interleaved with its own (the source of
 * docs/perf/quantization.md). Method as in {@link MatVecBandwidth}: copies of each matrix up to
 * 256 MiB so weights stream from memory, best of 8 passes, GB/s counts weight bytes (codes and scales).
 * The last two columns use one thread's CPU time on cache-resident weights, which other processes on
 * a shared machine do not distort.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx1g \
 *      -cp engine/target/classes:bench/target/classes dev.flashj.bench.QuantMatVecBench [threads]
 * </pre>
 * Needs about 1.3 GiB of free memory.
 */
public final class QuantMatVecBench {
    private static final long COPIES_BYTES = 256L << 20;
    private static final TensorType[] TYPES = {
            TensorType.F16, TensorType.Q8_0, TensorType.FP8_E4M3, TensorType.Q4_0, TensorType.INT4_G32, TensorType.INT4_G128};
    private static final int[][] SHAPES = {{4096, 4096}, {2048, 5632}};

    private QuantMatVecBench() {
    }

    public static void main(String[] args) {
        int threadCount = args.length > 0 ? Integer.parseInt(args[0]) : CpuThreads.defaultThreads();
        try (CpuThreads threads = new CpuThreads(threadCount);
             MemoryReadBandwidth big = new MemoryReadBandwidth(threads, 1024)) {
            System.out.printf(Locale.ROOT, "Threads: %d%n%n", threadCount);
            System.out.println("| type | rows × cols | bytes/weight | matvec GB/s | read GB/s | % of read | weights/s (G)"
                    + " | 1-thread CPU-time weights/s (G) | 1-thread ceiling GB/s |");
            System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|");
            for (int[] shape : SHAPES) {
                for (TensorType type : TYPES) {
                    measure(threads, big, type, shape[0], shape[1]);
                }
            }
        }
    }

    private static void measure(CpuThreads threads, MemoryReadBandwidth big, TensorType type, int rows, int cols) {
        try (Arena arena = Arena.ofShared()) {
            long bytes = type.matrixBytes(rows, cols);
            int copies = (int) Math.max(2, (COPIES_BYTES + bytes - 1) / bytes);
            SplittableRandom random = new SplittableRandom(type.ordinal());
            MemorySegment first = randomWeights(arena, type, rows, cols, random);
            List<Tensor> weights = new ArrayList<>();
            for (int i = 0; i < copies; i++) {
                MemorySegment data = i == 0 ? first : arena.allocate(bytes, 64).copyFrom(first);
                weights.add(new Tensor(type + "#" + i, type, new long[]{rows, cols}, data.asReadOnly()));
            }
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) {
                x[i] = (float) random.nextDouble(-1, 1);
            }
            float[] out = new float[rows];
            for (int warm = 0; warm < 3; warm++) {
                for (Tensor w : weights) {
                    MatMul.matmul(threads, w, x, 0, 1, out, 0);
                }
            }
            double best = Double.MAX_VALUE;
            double bestRead = 0;
            for (int pass = 0; pass < 8; pass++) {
                bestRead = Math.max(bestRead, big.measure(1));
                long t0 = System.nanoTime();
                for (Tensor w : weights) {
                    MatMul.matmul(threads, w, x, 0, 1, out, 0);
                }
                best = Math.min(best, (System.nanoTime() - t0) / 1e9 / copies);
            }
            double ceiling = weightsPerCpuSecond(arena, type, rows, cols, x, random);
            System.out.printf(Locale.ROOT, "| %s | %d × %d | %.3f | %.1f | %.1f | %.0f%% | %.2f | %.2f | %.1f |%n", type.displayName(),
                    rows, cols, (double) bytes / ((long) rows * cols), bytes / best / 1e9, bestRead / 1e9, 100 * bytes / best / bestRead,
                    (double) rows * cols / best / 1e9, ceiling / 1e9, ceiling * bytes / ((long) rows * cols) / 1e9);
        }
    }

    /**
     * Weights per second of one thread's CPU time on a cache-resident matrix (at most 256 KiB) of the
     * same width: what the kernel does when memory is not the limit, and unaffected by other processes
     * taking the CPU (they stretch wall time, not this thread's CPU time).
     */
    private static double weightsPerCpuSecond(Arena arena, TensorType type, int rows, int cols, float[] x, SplittableRandom random) {
        int sliceRows = (int) Math.max(1, Math.min(rows, (256 * 1024) / type.bytesFor(cols)));
        Tensor slice = new Tensor("slice", type, new long[]{sliceRows, cols}, randomWeights(arena, type, sliceRows, cols, random));
        float[] out = new float[sliceRows];
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        try (CpuThreads one = new CpuThreads(1)) {
            int reps = (int) Math.max(1, (8L << 20) / type.matrixBytes(sliceRows, cols));
            double best = 0;
            for (int pass = 0; pass < 30; pass++) {
                long t0 = cpu.getCurrentThreadCpuTime();
                for (int i = 0; i < reps; i++) {
                    MatMul.matmul(one, slice, x, 0, 1, out, 0);
                }
                long t1 = cpu.getCurrentThreadCpuTime();
                if (pass >= 10 && t1 > t0) { // the first passes warm up the compiler
                    best = Math.max(best, (double) reps * sliceRows * cols / ((t1 - t0) / 1e9));
                }
            }
            return best;
        }
    }

    /** Random codes with sane scales (f16 at most 0.05; FP8 codes other than NaN, f32 row scales). */
    private static MemorySegment randomWeights(Arena arena, TensorType type, int rows, int cols, SplittableRandom random) {
        long bytes = type.matrixBytes(rows, cols);
        MemorySegment s = arena.allocate(bytes, 64);
        ValueLayout.OfShort half = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        if (type == TensorType.F16) {
            for (long o = 0; o < bytes; o += 2) {
                s.set(half, o, Float.floatToFloat16((float) random.nextDouble(-1, 1)));
            }
            return s;
        }
        for (long o = 0; o < bytes; o++) {
            s.set(ValueLayout.JAVA_BYTE, o, (byte) random.nextInt());
        }
        switch (type) {
            case Q8_0, Q4_0 -> {
                for (long b = 0; b < bytes; b += type.bytesPerBlock()) {
                    s.set(half, b, Float.floatToFloat16((float) random.nextDouble(-0.05, 0.05)));
                }
            }
            case INT4_G128, INT4_G32 -> {
                for (long p = Int4Layout.paramsStart(rows, cols); p < bytes; p += 2) {
                    s.set(half, p, Float.floatToFloat16((float) random.nextDouble(-0.05, 0.05)));
                }
            }
            case FP8_E4M3 -> {
                for (long o = 0; o < (long) rows * cols; o++) {
                    s.set(ValueLayout.JAVA_BYTE, o, (byte) (random.nextInt() & 0xBF));   // exponent < 8: no NaN codes
                }
                for (int r = 0; r < rows; r++) {
                    s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) rows * cols + 4L * r, (float) random.nextDouble(1e-4, 1e-3));
                }
            }
            default -> throw new IllegalArgumentException("not benchmarked here: " + type);
        }
        return s;
    }
}
