package dev.flashj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The plain memory-read bandwidth of this machine, the reference a memory-bound kernel is judged
 * against: an off-heap buffer of ones (much larger than the caches) summed with the Vector API on
 * every thread of a {@link CpuThreads}. The buffer is allocated and touched once; each
 * {@link #measure} pass reads it again. Close it to free the buffer.
 */
public final class MemoryReadBandwidth implements AutoCloseable {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Work unit of one thread: 1 MiB. */
    private static final int CHUNK_BYTES = 1 << 20;

    private final CpuThreads threads;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    private final int chunks;
    private final float[] partialSums;

    /** Allocates and touches {@code mebibytes} MiB (use hundreds: far more than the last-level cache). */
    public MemoryReadBandwidth(CpuThreads threads, int mebibytes) {
        if (mebibytes < 1) {
            throw new IllegalArgumentException("buffer size must be at least 1 MiB, got " + mebibytes);
        }
        this.threads = threads;
        this.chunks = mebibytes;
        this.partialSums = new float[chunks];
        this.buffer = arena.allocate((long) chunks * CHUNK_BYTES, 4096);
        threads.parallelFor(chunks, (start, end) -> {
            for (long o = (long) start * CHUNK_BYTES; o < (long) end * CHUNK_BYTES; o += 4) {
                buffer.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o, 1f);
            }
        });
    }

    /** Bytes read per second, the best of {@code passes} full reads of the buffer. */
    public double measure(int passes) {
        double best = 0;
        for (int pass = 0; pass < passes; pass++) {
            long t0 = System.nanoTime();
            threads.parallelFor(chunks, (start, end) -> {
                for (int c = start; c < end; c++) {
                    partialSums[c] = sum((long) c * CHUNK_BYTES);
                }
            });
            long t1 = System.nanoTime();
            best = Math.max(best, buffer.byteSize() / ((t1 - t0) / 1e9));
        }
        checkSums();
        return best;
    }

    /** The sum of ones proves every byte was read (and keeps the JIT from dropping the loop). */
    private void checkSums() {
        for (int c = 0; c < chunks; c++) {
            if (partialSums[c] != CHUNK_BYTES / 4) {
                throw new IllegalStateException("bandwidth chunk " + c + " summed to " + partialSums[c]);
            }
        }
    }

    private float sum(long from) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int step = F.vectorByteSize();
        // An int loop index: C2 unrolls and hoists checks far better than with a long one (about +30%).
        for (int i = 0; i < CHUNK_BYTES; i += 4 * step) {
            long o = from + i;
            a0 = a0.add(FloatVector.fromMemorySegment(F, buffer, o, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, buffer, o + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, buffer, o + 2L * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, buffer, o + 3L * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    @Override
    public void close() {
        arena.close();
    }
}
