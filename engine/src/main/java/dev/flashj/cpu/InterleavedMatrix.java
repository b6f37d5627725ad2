package dev.flashj.cpu;

import dev.flashj.tensor.Tensor;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

/**
 * A block-quantized matrix repacked at load into groups of {@link #ROWS} rows side by side, for
 * integer kernels that multiply it with 8-bit activations ({@link Q8Activations}), the route
 * llama.cpp takes. The Vector API has no byte dot product, but with 32 rows in the 16-bit lanes of a
 * 512-bit vector one multiply-add serves 32 rows at once and no lane ever needs a horizontal sum.
 *
 * <p>This class runs the product (quantizing the activations once, splitting groups across threads,
 * tiling tokens); subclasses own a format's layout and kernels. Decoding (batch 1) and batched
 * decoding use the repacked copy; a prefill of {@link #PREFILL_IN_PLACE_FROM} tokens or more multiplies
 * the file's tensor in place with the float tile kernel, which is faster there (175-190 GFLOP/s per
 * CPU-second against about 110 for the 16-bit kernel, docs/perf/cpu.md).
 */
abstract sealed class InterleavedMatrix implements CpuMatrix permits InterleavedQ4_0, InterleavedQ8_0 {
    /** Rows per group: one 16-bit lane each in a 512-bit vector. */
    static final int ROWS = 32;
    /** Tokens per pass of the batch kernel. */
    static final int TOKENS = 4;
    /** Batch size from which {@link #matmul} multiplies the file's tensor in place instead. */
    static final int PREFILL_IN_PLACE_FROM = 8;

    final Tensor source;
    final MemorySegment packed;
    final int rows;
    final int blocks;

    InterleavedMatrix(Tensor source, MemorySegment packed) {
        this.source = source;
        this.packed = packed;
        this.rows = (int) source.rows();
        this.blocks = (int) (source.cols() / 32);
    }

    /** True where the kernels run at full speed: 512-bit vectors (AVX-512, SVE-512). */
    static boolean supported() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    }

    static long groups(long rows) {
        return (rows + ROWS - 1) / ROWS;
    }

    /** Rows {@code [32 * group, 32 * group + 32)} (clipped) times one token whose codes start at block {@code tokenBlock}. */
    abstract void multiplyGroup(int group, byte[] codes, float[] scales, int tokenBlock, float[] out, int outOffset,
                                float[] lanes);

    /**
     * The same for {@link #TOKENS} consecutive tokens (token k's codes at block {@code tokenBlock + k * blocks},
     * outputs at {@code outOffset + k * outStride}), bit for bit what {@link #multiplyGroup} gives each.
     */
    void multiplyGroup4(int group, byte[] codes, float[] scales, int tokenBlock, float[] out, int outOffset, int outStride,
                        float[] lanes) {
        for (int k = 0; k < TOKENS; k++) {
            multiplyGroup(group, codes, scales, tokenBlock + k * blocks, out, outOffset + k * outStride, lanes);
        }
    }

    @Override
    public final Tensor source() {
        return source;
    }

    @Override
    public final void matmul(CpuThreads threads, float[] x, int xOffset, int batch, float[] out, int outOffset) {
        if (batch >= PREFILL_IN_PLACE_FROM) {
            MatMul.matmul(threads, source, x, xOffset, batch, out, outOffset);
            return;
        }
        multiplyPacked(threads, x, xOffset, batch, out, outOffset);
    }

    @Override
    public final void matmulPerToken(CpuThreads threads, float[] x, int xOffset, int batch, float[] out, int outOffset) {
        // Integer block sums make every token's result independent of its batch mates already.
        multiplyPacked(threads, x, xOffset, batch, out, outOffset);
    }

    private void multiplyPacked(CpuThreads threads, float[] x, int xOffset, int batch, float[] out, int outOffset) {
        int cols = 32 * blocks;
        MatMul.checkBatch(source, x, xOffset, batch, out, outOffset);
        if (batch == 0 || rows == 0) {
            return;
        }
        Q8Activations activations = Q8Activations.scratch();
        activations.quantize(x, xOffset, batch, cols);
        byte[] codes = activations.codes();
        float[] scales = activations.scales();
        int groupCount = (int) groups(rows);
        int tile = Math.max(TOKENS, MatMul.TILE_BYTES / cols / TOKENS * TOKENS);
        threads.parallelFor(groupCount, (start, end) -> {
            float[] lanes = MatMulScratch.tileLanes();
            // Group-major within a token tile: a group's weights (under 300 KiB for 8192 columns) stay in
            // cache for every token of the tile, whose codes (1 MiB) stay in cache for every group.
            for (int t0 = 0; t0 < batch; t0 += tile) {
                int t1 = Math.min(batch, t0 + tile);
                for (int g = start; g < end; g++) {
                    int t = t0;
                    for (; t + TOKENS <= t1; t += TOKENS) {
                        multiplyGroup4(g, codes, scales, t * blocks, out, outOffset + t * rows, rows, lanes);
                    }
                    for (; t < t1; t++) {
                        multiplyGroup(g, codes, scales, t * blocks, out, outOffset + t * rows, lanes);
                    }
                }
            }
        });
    }

    /**
     * Writes a group's 32 results from {@code lanes} (even rows in the first 16, odd rows in the next),
     * clipped to the matrix. Takes an array, not vectors: see {@link QuantVectors} on boxing.
     */
    static void storeGroup(float[] lanes, float[] out, int outOffset, int group, int rows) {
        int r0 = ROWS * group;
        int count = Math.min(ROWS, rows - r0);
        for (int r = 0; r < count; r++) {
            out[outOffset + r0 + r] = lanes[(r & 1) * 16 + (r >> 1)];
        }
    }
}
