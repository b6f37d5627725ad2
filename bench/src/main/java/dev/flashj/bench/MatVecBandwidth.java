package dev.flashj.bench;

import dev.flashj.cpu.CpuMatrix;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.MatMul;
import dev.flashj.cpu.MemoryReadBandwidth;
import dev.flashj.tensor.Int4Layout;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Measures the CPU matrix kernels against the machine's memory-read bandwidth and prints a
 * markdown table (the source of docs/perf/cpu.md).
 *
 * <p>Run from the repository root:
 * <pre>
 * ./mvnw -q -pl bench -am package -DskipTests
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx2g \
 *      -cp engine/target/classes:bench/target/classes dev.flashj.bench.MatVecBandwidth [threads] [types]
 * </pre>
 * {@code types} is an optional comma-separated subset such as {@code Q4_0,Q8_0} (default: all measured types).
 * It needs about 1.7 GiB of free memory. Memory bandwidth: {@link MemoryReadBandwidth} over 1 GiB
 * (a Vector API sum on all threads), best of several passes. Matrix-vector: every matrix is copied
 * until the copies exceed 512 MiB and one pass multiplies each copy once (like the layers of a
 * model, so the weights come from memory, not cache); GB/s counts weight bytes. The compute
 * ceiling is what the kernel manages on cache-resident weights per thread of CPU time, times the
 * thread count: when it is below the read bandwidth, the kernel, not memory, is the limit. Batch
 * 16 and 64: prefills of 16 and 64 tokens, in GFLOP/s; the CPU-time column is one thread's batch-64
 * FLOP/s per second of its CPU time, times the thread count (like the ceiling). Each figure is the best of several passes after a
 * warm-up; on a machine shared with other work, expect noise.
 */
public final class MatVecBandwidth {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** The read-bandwidth reference buffer: 1 GiB. */
    private static final int READ_BUFFER_MIB = 1024;
    private static final long COPIES_BYTES = 512L << 20;
    private static final String[] VARIANTS = {"F32", "F16", "BF16", "Q8_0", "Q8_0/packed", "Q4_0", "Q4_0/packed", "Q4_K", "Q4_K/packed", "Q6_K", "Q6_K/packed",
            "INT4_G128", "INT4_G128/packed", "INT4_G32", "INT4_G32/packed"};
    private static final int[][] SHAPES = {{4096, 4096}, {5632, 2048}, {2048, 5632}};

    private MatVecBandwidth() {
    }

    public static void main(String[] args) {
        int threadCount = args.length > 0 ? Integer.parseInt(args[0]) : CpuThreads.defaultThreads();
        List<Variant> types = Variant.parseAll(args.length > 1 ? args[1].split(",") : VARIANTS);
        try (CpuThreads threads = new CpuThreads(threadCount);
             MemoryReadBandwidth big = new MemoryReadBandwidth(threads, READ_BUFFER_MIB)) {
            double bandwidthBefore = big.measure(7);
            double callMicros = parallelForCost(threads);
            List<String> rowsOut = new ArrayList<>();
            List<Result> results = new ArrayList<>();
            for (int[] shape : SHAPES) {
                for (Variant type : types) {
                    Result r = measure(threads, big, type, shape[0], shape[1]);
                    results.add(r);
                    rowsOut.add(type + "|" + shape[0] + " × " + shape[1]);
                }
            }
            double bandwidthAfter = big.measure(7);
            System.out.printf(Locale.ROOT, "Threads: %d, float vector: %d bits%n%n", threadCount, F.vectorBitSize());
            System.out.printf(Locale.ROOT, "Memory-read bandwidth (1 GiB, Vector API sum, %d threads, best of 7): **%.1f GB/s** before"
                    + " the kernels, **%.1f GB/s** after. The host's memory bandwidth is shared and drifts, so each row's"
                    + " percentage is relative to bandwidth passes interleaved with that row's matvec passes (column 'read GB/s').%n%n",
                    threadCount, bandwidthBefore / 1e9, bandwidthAfter / 1e9);
            System.out.printf(Locale.ROOT, "parallelFor handoff (empty chunks, %d threads): %.2f µs per call%n%n", threadCount, callMicros);
            System.out.println("| type | rows × cols | matvec GB/s | read GB/s | % of read bandwidth | matvec rows/s | compute ceiling GB/s"
                    + " | batch-16 GFLOP/s | batch-64 GFLOP/s | batch-64 CPU-time GFLOP/s |");
            System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            for (int i = 0; i < results.size(); i++) {
                Result r = results.get(i);
                String[] name = rowsOut.get(i).split("\\|");
                System.out.printf(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.0f%% | %.3g | %.1f | %.1f | %.1f | %.1f |%n", name[0], name[1],
                        r.bytesPerSecond / 1e9, r.readBandwidth / 1e9, 100 * r.bytesPerSecond / r.readBandwidth, r.rowsPerSecond,
                        r.ceilingBytesPerSecondPerThread * threadCount / 1e9, r.batch16Flops / 1e9, r.batch64Flops / 1e9,
                        r.batch64CpuFlopsPerThread * threadCount / 1e9);
            }
        }
    }

    /**
     * A weight type, read in place or {@code /packed}: repacked at load by {@link CpuMatrix#prepare} as
     * the CPU model does (the optional second argument lists them, e.g. {@code Q4_0,Q4_0/packed,Q8_0}).
     */
    private record Variant(TensorType type, boolean packed) {
        static List<Variant> parseAll(String[] names) {
            List<Variant> variants = new ArrayList<>();
            for (String name : names) {
                String n = name.trim().toUpperCase(Locale.ROOT);
                boolean packed = n.endsWith("/PACKED");
                variants.add(new Variant(TensorType.valueOf(packed ? n.substring(0, n.length() - 7) : n), packed));
            }
            return variants;
        }

        CpuMatrix matrix(Tensor t, Arena arena) {
            return packed ? CpuMatrix.prepare(t, arena) : CpuMatrix.inPlace(t);
        }

        @Override
        public String toString() {
            return type + (packed ? " repacked (8-bit activations)" : "");
        }
    }

    /**
     * Matrix-vector weight bytes per second and rows per second (wall clock, all threads); the
     * compute ceiling (weight bytes per second of one thread's CPU time on a cache-resident
     * slice, so neither memory nor other processes on the machine limit it); batch-16 and batch-64 FLOP/s
     * (wall clock, all threads); batch-64 FLOP/s of one thread's CPU time (robust to other jobs on the machine).
     */
    private record Result(double bytesPerSecond, double readBandwidth, double rowsPerSecond, double ceilingBytesPerSecondPerThread,
                          double batch16Flops, double batch64Flops, double batch64CpuFlopsPerThread) {
    }

    /** Microseconds per parallelFor call whose chunks do nothing. */
    static double parallelForCost(CpuThreads threads) {
        int[] sink = new int[1];
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            int calls = 100_000;
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                threads.parallelFor(threads.size(), (start, end) -> sink[0] += 0);
            }
            best = Math.min(best, (System.nanoTime() - t0) / 1e3 / calls);
        }
        return best;
    }

    private static Result measure(CpuThreads threads, MemoryReadBandwidth big, Variant variant, int rows, int cols) {
        TensorType type = variant.type();
        try (Arena arena = Arena.ofShared()) {
            long bytes = type.bytesFor((long) rows * cols);
            int copies = (int) Math.max(2, (COPIES_BYTES + bytes - 1) / bytes);
            List<CpuMatrix> weights = new ArrayList<>();
            SplittableRandom random = new SplittableRandom(type.ordinal());
            MemorySegment first = randomWeights(arena, type, bytes, random);
            for (int i = 0; i < copies; i++) {
                MemorySegment data = i == 0 ? first : arena.allocate(bytes, 64).copyFrom(first);
                weights.add(variant.matrix(new Tensor(type + "#" + i, type, new long[]{rows, cols}, data.asReadOnly()), arena));
            }
            float[] x = new float[64 * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextDouble(-1, 1);
            }
            float[] out = new float[64 * rows];

            for (int warm = 0; warm < 3; warm++) {
                for (CpuMatrix w : weights) {
                    MatMul.matmul(threads, w, x, 0, 1, out, 0);
                }
            }
            double bestVec = Double.MAX_VALUE;
            double bestRead = 0;
            for (int pass = 0; pass < 10; pass++) {
                bestRead = Math.max(bestRead, big.measure(1));
                long t0 = System.nanoTime();
                for (CpuMatrix w : weights) {
                    MatMul.matmul(threads, w, x, 0, 1, out, 0);
                }
                bestVec = Math.min(bestVec, (System.nanoTime() - t0) / 1e9 / copies);
            }

            double batch16 = batchFlops(threads, weights, x, out, 16);
            double batch64 = batchFlops(threads, weights, x, out, 64);
            return new Result(bytes / bestVec, bestRead, rows / bestVec, computeCeiling(variant, first, rows, cols, x), batch16, batch64,
                    prefillCpuFlops(weights.getFirst(), x));
        }
    }

    /** FLOP/s of a prefill of {@code batch} tokens (best of several passes over up to four copies of the weights). */
    private static double batchFlops(CpuThreads threads, List<CpuMatrix> weights, float[] x, float[] out, int batch) {
        Tensor w0 = weights.getFirst().source();
        int batchCopies = Math.min(weights.size(), 4);
        MatMul.matmul(threads, weights.getFirst(), x, 0, batch, out, 0);
        double best = Double.MAX_VALUE;
        for (int pass = 0; pass < 5; pass++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < batchCopies; i++) {
                MatMul.matmul(threads, weights.get(i), x, 0, batch, out, 0);
            }
            best = Math.min(best, (System.nanoTime() - t0) / 1e9 / batchCopies);
        }
        return 2.0 * w0.rows() * w0.cols() * batch / best;
    }
    /**
     * FLOP/s of a 64-token prefill on one thread, per second of that thread's CPU time (best of
     * several passes after a warm-up): time slices lost to other jobs do not count.
     */
    private static double prefillCpuFlops(CpuMatrix matrix, float[] x) {
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        Tensor w = matrix.source();
        int batch = 64;
        float[] out = new float[batch * (int) w.rows()];
        try (CpuThreads one = new CpuThreads(1)) {
            double best = 0;
            for (int pass = 0; pass < 6; pass++) {
                long t0 = cpu.getCurrentThreadCpuTime();
                MatMul.matmul(one, matrix, x, 0, batch, out, 0);
                long t1 = cpu.getCurrentThreadCpuTime();
                if (pass >= 2 && t1 > t0) {
                    best = Math.max(best, 2.0 * w.rows() * w.cols() * batch / ((t1 - t0) / 1e9));
                }
            }
            return best;
        }
    }

    /** Weight bytes per second of CPU time for one thread over the first rows of a matrix (256 KiB or less: cache-resident). */
    private static double computeCeiling(Variant variant, MemorySegment data, int rows, int cols, float[] x) {
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        TensorType type = variant.type();
        long rowBytes = type.bytesFor(cols);
        int sliceRows = (int) Math.max(1, Math.min(rows, (256 * 1024) / rowBytes));
        if (sliceRows >= 32) {
            sliceRows -= sliceRows % 32; // whole 32-row groups, so that repacked slices carry no padding
        }
        float[] out = new float[sliceRows];
        try (CpuThreads one = new CpuThreads(1); Arena arena = Arena.ofConfined()) {
            CpuMatrix slice = variant.matrix(new Tensor("slice", type, new long[]{sliceRows, cols},
                    firstRows(arena, type, data, rows, cols, sliceRows)), arena);
            int reps = (int) Math.max(1, (8L << 20) / (sliceRows * rowBytes));
            double best = 0;
            for (int pass = 0; pass < 30; pass++) {
                long t0 = cpu.getCurrentThreadCpuTime();
                for (int i = 0; i < reps; i++) {
                    MatMul.matmul(one, slice, x, 0, 1, out, 0);
                }
                long t1 = cpu.getCurrentThreadCpuTime();
                if (pass >= 10 && t1 > t0) { // the first passes warm up the compiler
                    best = Math.max(best, (double) reps * sliceRows * rowBytes / ((t1 - t0) / 1e9));
                }
            }
            return best;
        }
    }

    /**
     * The first {@code count} rows of a {@code [rows, cols]} matrix: a prefix of the GGML formats, a
     * copy for FlashJ INT4 (codes of those rows, then their scale/offset pairs, see {@link Int4Layout}).
     */
    private static MemorySegment firstRows(Arena arena, TensorType type, MemorySegment data, int rows, int cols, int count) {
        long rowBytes = type.bytesFor(cols);
        if (type != TensorType.INT4_G128 && type != TensorType.INT4_G32) {
            return data.asSlice(0, count * rowBytes);
        }
        long codeBytes = (long) count * cols / 2;
        MemorySegment slice = arena.allocate(count * rowBytes, 64);
        slice.copyFrom(data.asSlice(0, codeBytes));
        slice.asSlice(codeBytes).copyFrom(data.asSlice(Int4Layout.paramsStart(rows, cols), count * rowBytes - codeBytes));
        return slice;
    }

    /**
     * Random weights with sane scales: random quants, f16 scales of at most 0.05 in magnitude (INT4:
     * scales in (0, 0.01), offsets of at most 0.05, all in the region after the codes).
     */
    private static MemorySegment randomWeights(Arena arena, TensorType type, long bytes, SplittableRandom random) {
        MemorySegment s = arena.allocate(bytes, 64);
        ValueLayout.OfShort half = ValueLayout.JAVA_SHORT_UNALIGNED;
        switch (type) {
            case F32 -> {
                for (long o = 0; o < bytes; o += 4) {
                    s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o, (float) random.nextDouble(-1, 1));
                }
            }
            case F16 -> {
                for (long o = 0; o < bytes; o += 2) {
                    s.set(half, o, Float.floatToFloat16((float) random.nextDouble(-1, 1)));
                }
            }
            case BF16 -> {
                for (long o = 0; o < bytes; o += 2) {
                    s.set(half, o, (short) (Float.floatToRawIntBits((float) random.nextDouble(-1, 1)) >>> 16));
                }
            }
            case INT4_G128, INT4_G32 -> {
                long params = bytes / type.bytesPerBlock() * type.blockSize() / 2;
                for (long o = 0; o < params; o++) {
                    s.set(ValueLayout.JAVA_BYTE, o, (byte) random.nextInt());
                }
                for (long o = params; o < bytes; o += 4) {
                    s.set(half, o, Float.floatToFloat16((float) random.nextDouble(0.0005, 0.01)));
                    s.set(half, o + 2, Float.floatToFloat16((float) random.nextDouble(-0.05, 0.05)));
                }
            }
            default -> {
                for (long o = 0; o < bytes; o++) {
                    s.set(ValueLayout.JAVA_BYTE, o, (byte) random.nextInt());
                }
                long scaleOffset = type == TensorType.Q6_K ? 208 : 0;
                for (long b = 0; b < bytes; b += type.bytesPerBlock()) {
                    s.set(half, b + scaleOffset, Float.floatToFloat16((float) random.nextDouble(-0.05, 0.05)));
                    if (type == TensorType.Q4_K) {
                        s.set(half, b + 2, Float.floatToFloat16((float) random.nextDouble(-0.05, 0.05)));
                    }
                }
            }
        }
        return s;
    }
}
