package dev.flashj.cli.bench;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.MatMul;
import dev.flashj.ops.AttentionOps;
import dev.flashj.ops.cpu.CpuAttentionOps;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/** The Java CPU kernels on a fixed pool of worker threads; timed with the wall clock. */
public final class CpuBackend implements BenchBackend {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Assumed when /sys does not say (containers often hide it): more than most server L3 slices. */
    private static final long DEFAULT_CACHE = 64L << 20;
    private static final long BANDWIDTH_BYTES = 512L << 20;
    private static final int CHUNK = 1 << 20;

    private final CpuThreads threads;
    private final CpuAttentionOps attention;

    public CpuBackend(int threadCount) {
        int n = threadCount > 0 ? threadCount : CpuThreads.defaultThreads();
        this.threads = new CpuThreads(n);
        this.attention = new CpuAttentionOps(n);
    }

    public CpuThreads threads() {
        return threads;
    }

    @Override
    public String id() {
        return "cpu";
    }

    @Override
    public String description() {
        return "Java Vector API kernels, " + threads.size() + " threads, " + F.vectorBitSize() + "-bit float vectors"
                + ", " + Runtime.getRuntime().availableProcessors() + " processors";
    }

    @Override
    public long timeNanos(Runnable launch) {
        long t0 = System.nanoTime();
        launch.run();
        return System.nanoTime() - t0;
    }

    @Override
    public long cacheBytes() {
        return hostCacheBytes();
    }

    /** The host's last-level cache (from /sys), or {@link #DEFAULT_CACHE} when it does not say. */
    static long hostCacheBytes() {
        try {
            String text = Files.readString(Path.of("/sys/devices/system/cpu/cpu0/cache/index3/size")).trim();
            long unit = text.endsWith("K") ? 1024 : text.endsWith("M") ? 1 << 20 : 1;
            return Long.parseLong(text.replaceAll("[^0-9]", "")) * unit;
        } catch (IOException | NumberFormatException e) {
            return DEFAULT_CACHE;
        }
    }

    @Override
    public AttentionOps attentionOps() {
        return attention;
    }

    /**
     * Bandwidth: a 512 MiB off-heap array summed with the Vector API on every thread, best of 5.
     * Compute: the larger of a Vector API FMA loop on every thread (the arithmetic peak Java reaches)
     * and {@link MatMul} of a cache-resident 1024 x 1024 f32 matrix by 256 tokens, each best of 5.
     */
    @Override
    public Ceilings measureCeilings(boolean small) {
        long bandwidthBytes = small ? BANDWIDTH_BYTES / 8 : BANDWIDTH_BYTES;
        double bandwidth;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment big = arena.allocate(bandwidthBytes, 4096);
            int chunks = (int) (bandwidthBytes / CHUNK);
            threads.parallelFor(chunks, (start, end) -> {
                for (long o = (long) start * CHUNK; o < (long) end * CHUNK; o += 4) {
                    big.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o, 1f);
                }
            });
            float[] partial = new float[chunks];
            long best = Long.MAX_VALUE;
            for (int pass = 0; pass < 6; pass++) {
                long t0 = System.nanoTime();
                threads.parallelFor(chunks, (start, end) -> {
                    for (int c = start; c < end; c++) {
                        partial[c] = sum(big, (long) c * CHUNK, CHUNK);
                    }
                });
                long t = System.nanoTime() - t0;
                if (pass > 0) {
                    best = Math.min(best, t);
                }
            }
            for (float p : partial) {
                if (p != CHUNK / 4f) {
                    throw new IllegalStateException("bandwidth pass summed " + p + " instead of " + CHUNK / 4);
                }
            }
            bandwidth = bandwidthBytes / (best / 1e9);
        }
        int rows = small ? 256 : 1024;
        int cols = 1024;
        int batch = small ? 64 : 256;
        double flops;
        try (Arena arena = Arena.ofShared()) {
            SplittableRandom random = new SplittableRandom(7);
            MemorySegment w = arena.allocate(4L * rows * cols, 64);
            for (long i = 0; i < (long) rows * cols; i++) {
                w.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextDouble(-1, 1));
            }
            Tensor weights = new Tensor("ceiling", TensorType.F32, new long[]{rows, cols}, w);
            float[] x = RandomData.floats(random, batch * cols);
            float[] out = new float[batch * rows];
            long best = Long.MAX_VALUE;
            for (int pass = 0; pass < 6; pass++) {
                long t0 = System.nanoTime();
                MatMul.matmul(threads, weights, x, 0, batch, out, 0);
                long t = System.nanoTime() - t0;
                if (pass > 0) {
                    best = Math.min(best, t);
                }
            }
            flops = 2.0 * rows * cols * batch / (best / 1e9);
        }
        double peak = fmaPeak(small ? 400_000 : 4_000_000);
        return new Ceilings(bandwidth,
                String.format(Locale.ROOT, "Vector API sum of %d MiB on %d threads, best of 5", bandwidthBytes >> 20, threads.size()),
                Math.max(peak, flops),
                String.format(Locale.ROOT, "max of Vector API FMA peak %.1f and MatMul f32 %dx%dx%d %.1f GFLOP/s,"
                        + " %d threads, best of 5", peak / 1e9, rows, cols, batch, flops / 1e9, threads.size()));
    }

    /** FLOP/s of eight independent FMA chains per thread on vectors of the preferred width. */
    private double fmaPeak(int iterations) {
        float[] sink = new float[threads.size()];
        long best = Long.MAX_VALUE;
        for (int pass = 0; pass < 6; pass++) {
            long t0 = System.nanoTime();
            threads.parallelFor(threads.size(), (start, end) -> {
                for (int t = start; t < end; t++) {
                    sink[t] = fmaChains(iterations, t);
                }
            });
            long t = System.nanoTime() - t0;
            if (pass > 0) {
                best = Math.min(best, t);
            }
        }
        return threads.size() * (double) iterations * 8 * F.length() * 2 / (best / 1e9);
    }

    private static float fmaChains(int iterations, int seed) {
        FloatVector a = FloatVector.broadcast(F, 0.999f);
        FloatVector b = FloatVector.broadcast(F, 0.001f);
        FloatVector x0 = FloatVector.broadcast(F, seed * 1e-3f);
        FloatVector x1 = x0.add(0.1f);
        FloatVector x2 = x0.add(0.2f);
        FloatVector x3 = x0.add(0.3f);
        FloatVector x4 = x0.add(0.4f);
        FloatVector x5 = x0.add(0.5f);
        FloatVector x6 = x0.add(0.6f);
        FloatVector x7 = x0.add(0.7f);
        for (int i = 0; i < iterations; i++) {
            x0 = x0.fma(a, b);
            x1 = x1.fma(a, b);
            x2 = x2.fma(a, b);
            x3 = x3.fma(a, b);
            x4 = x4.fma(a, b);
            x5 = x5.fma(a, b);
            x6 = x6.fma(a, b);
            x7 = x7.fma(a, b);
        }
        return x0.add(x1).add(x2.add(x3)).add(x4.add(x5).add(x6.add(x7))).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    private static float sum(MemorySegment s, long from, int bytes) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        int step = F.vectorByteSize();
        for (int i = 0; i < bytes; i += 2 * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, s, from + i, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, s, from + i + step, ByteOrder.LITTLE_ENDIAN));
        }
        float total = 0;
        for (float lane : a0.add(a1).toArray()) {
            total += lane;
        }
        return total;
    }

    @Override
    public void close() {
        attention.close();
        threads.close();
    }
}
