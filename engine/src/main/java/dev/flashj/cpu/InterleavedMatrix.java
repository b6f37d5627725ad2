package dev.flashj.cpu;

import dev.flashj.tensor.Tensor;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

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
abstract sealed class InterleavedMatrix implements CpuMatrix permits InterleavedQ4_0, InterleavedQ4K, InterleavedQ6K, InterleavedQ8_0 {
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
    abstract void multiplyGroup(int group, Q8Activations x, int tokenBlock, float[] out, int outOffset, float[] lanes);

    /**
     * The same for {@link #TOKENS} consecutive tokens (token k's codes at block {@code tokenBlock + k * blocks},
     * outputs at {@code outOffset + k * outStride}), bit for bit what {@link #multiplyGroup} gives each.
     */
    void multiplyGroup4(int group, Q8Activations x, int tokenBlock, float[] out, int outOffset, int outStride,
                        float[] lanes) {
        for (int k = 0; k < TOKENS; k++) {
            multiplyGroup(group, x, tokenBlock + k * blocks, out, outOffset + k * outStride, lanes);
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
        int groupCount = (int) groups(rows);
        int tile = Math.max(TOKENS, MatMul.TILE_BYTES / (4 * cols) / TOKENS * TOKENS);
        threads.parallelFor(groupCount, (start, end) -> {
            float[] lanes = MatMulScratch.tileLanes();
            // Group-major within a token tile: a group's weights (under 300 KiB for 8192 columns) stay in
            // cache for every token of the tile, whose codes (1 MiB of ints) stay in cache for every group.
            for (int t0 = 0; t0 < batch; t0 += tile) {
                int t1 = Math.min(batch, t0 + tile);
                for (int g = start; g < end; g++) {
                    int t = t0;
                    for (; t + TOKENS <= t1; t += TOKENS) {
                        multiplyGroup4(g, activations, t * blocks, out, outOffset + t * rows, rows, lanes);
                    }
                    for (; t < t1; t++) {
                        multiplyGroup(g, activations, t * blocks, out, outOffset + t * rows, lanes);
                    }
                }
            }
        });
    }

    /**
     * Copies a block-quantized matrix into the interleaved layout: per group of 32 rows and per block,
     * the 32 rows' 2-byte scales in row order, then for each {@code j < quantBytes} the 32 rows' byte
     * {@code j} xor {@code flip}. The last group is padded with zero rows. Returns null when a scale is
     * an infinite or NaN half (the kernels widen finite halves only).
     */
    static MemorySegment pack(Tensor w, Arena arena, int quantBytes, byte flip) {
        int blocks = (int) (w.cols() / 32);
        int blockBytes = 2 + quantBytes;
        int rowBytes = blocks * blockBytes;
        int chunk = 2 * ROWS + quantBytes * ROWS;
        long rows = w.rows();
        long groups = groups(rows);
        MemorySegment src = w.data();
        MemorySegment dst = arena.allocate(groups * blocks * chunk, 64);
        // Heap arrays for one group at a time: bulk copies in and out, a plain transpose between.
        byte[] in = new byte[ROWS * rowBytes];
        byte[] out = new byte[blocks * chunk];
        for (long g = 0; g < groups; g++) {
            int rowsHere = (int) Math.min(ROWS, rows - g * ROWS);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, g * ROWS * rowBytes, in, 0, rowsHere * rowBytes);
            Arrays.fill(in, rowsHere * rowBytes, in.length, (byte) 0);
            for (int b = 0; b < blocks; b++) {
                int to = b * chunk;
                for (int lane = 0; lane < ROWS; lane++) {
                    int from = lane * rowBytes + b * blockBytes;
                    if ((in[from + 1] & 0x7C) == 0x7C) {
                        return null;
                    }
                    out[to + 2 * lane] = in[from];
                    out[to + 2 * lane + 1] = in[from + 1];
                    for (int j = 0; j < quantBytes; j++) {
                        out[to + 2 * ROWS + ROWS * j + lane] = (byte) (in[from + 2 + j] ^ flip);
                    }
                }
            }
            MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, g * blocks * chunk, out.length);
        }
        return dst;
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
