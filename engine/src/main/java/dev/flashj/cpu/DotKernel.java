package dev.flashj.cpu;

import java.lang.foreign.MemorySegment;

/**
 * The per-type half of a matrix kernel: one weight row, read in place from its segment, either
 * dotted with one activation vector or decoded to floats (for batches, where a decoded row is
 * reused by many tokens).
 */
interface DotKernel {
    /**
     * The dot product of the row at byte {@code rowOffset} with {@code x[xOffset, xOffset + cols)}.
     * {@code blockSums[blockSumsOffset + k]} is the sum of {@code x} over the k-th 32-element block;
     * it is only filled for kernels whose {@link #needsBlockSums()} is true. {@code lanes} is scratch
     * of {@link MatMulScratch#LANES} floats for the final, fixed-order lane sum and per-block scales.
     */
    float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols,
              float[] lanes);

    /** Decodes the row at byte {@code rowOffset} into {@code dst[0, cols)}. */
    void decode(MemorySegment w, long rowOffset, float[] dst, int cols);

    /** Whether {@link #dot} wants the per-32-block sums of {@code x} (kernels with a min/offset term). */
    default boolean needsBlockSums() {
        return false;
    }

    /**
     * A kernel with only a decoder: the dot decodes into a per-thread row buffer and then does a
     * float dot product. For the rarer types, where a fused kernel is not worth its code.
     */
    interface DecodeOnly extends DotKernel {
        @Override
        default float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols,
                          float[] lanes) {
            float[] row = MatMulScratch.row(cols);
            decode(w, rowOffset, row, cols);
            return DotFloats.dot(row, 0, x, xOffset, cols, lanes);
        }
    }
}
