package dev.flashj.cpu;

import dev.flashj.tensor.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.BiFunction;

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
abstract sealed class InterleavedMatrix implements CpuMatrix permits InterleavedInt4, InterleavedQ4_0, InterleavedQ4K, InterleavedQ6K, InterleavedQ8_0 {
    /** Rows per group: one 16-bit lane each in a 512-bit vector. */
    static final int ROWS = 32;
    /** Tokens per pass of the batch kernel. */
    static final int TOKENS = 4;
    /** Batch size from which {@link #matmul} multiplies the file's tensor in place instead. */
    static final int PREFILL_IN_PLACE_FROM = 8;

    /** The kernels' shapes: 32 weight bytes widen to 32 16-bit lanes; 16 int or float lanes hold one parity of the rows. */
    static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_256;
    static final VectorSpecies<Short> SHORTS = ShortVector.SPECIES_512;
    static final VectorSpecies<Integer> INTS = IntVector.SPECIES_512;
    static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_512;

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

    /**
     * The repacked form of {@code w} in {@code arena}: Q4_0, Q8_0, Q4_K, Q6_K and FlashJ's INT4; null
     * for other types and where a packer declines the matrix (a non-finite scale or offset).
     */
    static InterleavedMatrix of(Tensor w, Arena arena) {
        return switch (w.type()) {
            case Q4_0 -> build(w, arena, InterleavedQ4_0.CHUNK, CONTIGUOUS_ROWS, InterleavedQ4_0.packer(w), InterleavedQ4_0::new);
            case Q8_0 -> build(w, arena, InterleavedQ8_0.CHUNK, CONTIGUOUS_ROWS, InterleavedQ8_0.packer(w), InterleavedQ8_0::new);
            case Q4_K -> build(w, arena, InterleavedQ4K.CHUNK, CONTIGUOUS_ROWS, InterleavedQ4K.packer(w), InterleavedQ4K::new);
            case Q6_K -> build(w, arena, InterleavedQ6K.CHUNK, CONTIGUOUS_ROWS, InterleavedQ6K.packer(w), InterleavedQ6K::new);
            case INT4_G128, INT4_G32 -> build(w, arena, InterleavedInt4.chunk(w.type()), InterleavedInt4.ROW_READER,
                    InterleavedInt4.packer(w), InterleavedInt4::new);
            default -> null;
        };
    }

    private static InterleavedMatrix build(Tensor w, Arena arena, int chunk, RowReader reader, RowPacker packer,
                                           BiFunction<Tensor, MemorySegment, InterleavedMatrix> make) {
        MemorySegment packed = pack(w, arena, chunk, reader, packer);
        return packed == null ? null : make.apply(w, packed);
    }

    /** True where the kernels run at full speed: 512-bit vectors (AVX-512, SVE-512). */
    static boolean supported() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    }

    static long groups(long rows) {
        return (rows + ROWS - 1) / ROWS;
    }

    /** The same packed weights with {@code source} (equal bytes, e.g. a resident copy) for the in-place prefill. */
    abstract InterleavedMatrix withSource(Tensor source);

    /** Rows {@code [32 * group, 32 * group + 32)} (clipped) times one token whose codes start at block {@code tokenBlock}. */
    abstract void multiplyGroup(int group, Q8Activations x, int tokenBlock, float[] out, int outOffset, float[] lanes);

    /**
     * The same for {@link #TOKENS} consecutive tokens (token k's codes at block {@code tokenBlock + k * blocks},
     * outputs at {@code outOffset + k * outStride}), bit for bit what {@link #multiplyGroup} gives each.
     */
    abstract void multiplyGroup4(int group, Q8Activations x, int tokenBlock, float[] out, int outOffset, int outStride,
                                 float[] lanes);

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
    public final boolean quantizesActivations(int batch) {
        return batch < PREFILL_IN_PLACE_FROM;
    }

    @Override
    public final void matmulPerToken(CpuThreads threads, float[] x, int xOffset, int batch, float[] out, int outOffset) {
        // Integer block sums make every token's result independent of its batch mates already.
        multiplyPacked(threads, x, xOffset, batch, out, outOffset);
    }

    /**
     * One token times three repacked matrices of equal width (attention's Q, K, V) in one
     * {@link CpuThreads#parallelFor} over their stacked groups, the activations quantized once;
     * each output bit for bit what {@link #matmul} gives (outputs from offset 0).
     */
    static void stacked(CpuThreads threads, float[] x, int xOffset, InterleavedMatrix a, float[] outA,
                        InterleavedMatrix b, float[] outB, InterleavedMatrix c, float[] outC) {
        Q8Activations activations = quantizeOneToken(x, xOffset, a, b, c);
        MatMul.checkBatch(a.source, x, xOffset, 1, outA, 0);
        MatMul.checkBatch(b.source, x, xOffset, 1, outB, 0);
        MatMul.checkBatch(c.source, x, xOffset, 1, outC, 0);
        int groupsA = (int) groups(a.rows);
        int groupsAB = groupsA + (int) groups(b.rows);
        threads.parallelFor(groupsAB + (int) groups(c.rows), (start, end) -> {
            float[] lanes = MatMulScratch.tileLanes();
            for (int i = start; i < end; i++) {
                if (i < groupsA) {
                    a.multiplyGroup(i, activations, 0, outA, 0, lanes);
                } else if (i < groupsAB) {
                    b.multiplyGroup(i - groupsA, activations, 0, outB, 0, lanes);
                } else {
                    c.multiplyGroup(i - groupsAB, activations, 0, outC, 0, lanes);
                }
            }
        });
    }

    /**
     * SwiGLU's hidden layer for one token from two repacked matrices: {@code out[outOffset + r] =
     * silu(gate_r . x) * (up_r . x)} in one {@link CpuThreads#parallelFor}, the activations quantized
     * once and {@link Ops#siluMul} applied per group; {@code upScratch} holds up's rows. Bit for bit the
     * two {@link #matmul} calls followed by {@code siluMul}.
     */
    static void swiGlu(CpuThreads threads, float[] x, int xOffset, InterleavedMatrix gate, InterleavedMatrix up,
                       float[] out, int outOffset, float[] upScratch) {
        if (gate.rows != up.rows) {
            throw new IllegalArgumentException("SwiGLU of " + gate.source + " and " + up.source + ": row counts differ");
        }
        Q8Activations activations = quantizeOneToken(x, xOffset, gate, up, up);
        MatMul.checkBatch(gate.source, x, xOffset, 1, out, outOffset);
        MatMul.checkBatch(up.source, x, xOffset, 1, upScratch, 0);
        int rows = gate.rows;
        threads.parallelFor((int) groups(rows), (start, end) -> {
            float[] lanes = MatMulScratch.tileLanes();
            for (int g = start; g < end; g++) {
                gate.multiplyGroup(g, activations, 0, out, outOffset, lanes);
                up.multiplyGroup(g, activations, 0, upScratch, 0, lanes);
                Ops.siluMul(out, outOffset + ROWS * g, upScratch, ROWS * g, Math.min(ROWS, rows - ROWS * g));
            }
        });
    }

    /** The calling thread's activations, holding {@code x} quantized for matrices that must share its width. */
    private static Q8Activations quantizeOneToken(float[] x, int xOffset, InterleavedMatrix a, InterleavedMatrix b,
                                                  InterleavedMatrix c) {
        if (a.blocks != b.blocks || a.blocks != c.blocks) {
            throw new IllegalArgumentException("fused product of " + a.source + ", " + b.source + " and " + c.source
                    + ": column counts differ");
        }
        int cols = 32 * a.blocks;
        if (xOffset < 0 || (long) xOffset + cols > x.length) {
            throw new IllegalArgumentException("matmul of " + a.source + ": x[" + x.length + "] at " + xOffset
                    + " is too small");
        }
        Q8Activations activations = Q8Activations.scratch();
        activations.quantize(x, xOffset, 1, cols);
        return activations;
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

    /** Bytes of the packed form of a [rows, cols] matrix with {@code chunk} bytes per group and 32-column block. */
    static long packedBytes(long rows, long cols, int chunk) {
        return groups(rows) * (cols / 32) * chunk;
    }

    /** Where a row's per-block factor goes among the group's 32: even rows first, then odd rows (the kernels' lane pairs). */
    static int factorSlot(int lane) {
        return (lane & 1) * 16 + (lane >> 1);
    }

    /** Gathers file rows into a heap buffer, each row's bytes contiguous ({@code bytesFor(cols)} per row). */
    interface RowReader {
        /** Copies rows {@code [first, first + count)} of {@code w} to {@code in}, row {@code i} at {@code i * rowBytes}. */
        void read(Tensor w, long first, int count, byte[] in, int rowBytes);
    }

    /** The GGML formats: a row's blocks follow each other, and rows follow each other. */
    static final RowReader CONTIGUOUS_ROWS = (w, first, count, in, rowBytes) ->
            MemorySegment.copy(w.data(), ValueLayout.JAVA_BYTE, first * rowBytes, in, 0, count * rowBytes);

    /** Writes one file row into its lane of a group's packed blocks. */
    interface RowPacker {
        /**
         * Packs the row whose file bytes start at {@code rowStart} in {@code in} into lane {@code lane} of
         * the group's blocks in {@code out} (block b at {@code b * chunk}); false when a scale is an
         * infinite or NaN half, which the kernels' half-to-float widening does not cover.
         */
        boolean packRow(ByteBuffer in, int rowStart, int lane, ByteBuffer out);
    }

    /**
     * Copies a quantized matrix into groups of 32 rows, one group at a time through heap buffers (bulk
     * copies in and out by {@code reader}, {@code packer} in between); the last group is padded with
     * zero rows. Null when the packer declines a row.
     */
    private static MemorySegment pack(Tensor w, Arena arena, int chunk, RowReader reader, RowPacker packer) {
        int rowBytes = (int) w.type().bytesFor(w.cols());
        int blocks = (int) (w.cols() / 32);
        long rows = w.rows();
        long groups = groups(rows);
        MemorySegment dst = arena.allocate(groups * blocks * chunk, 64);
        byte[] in = new byte[ROWS * rowBytes];
        byte[] out = new byte[blocks * chunk];
        ByteBuffer inBuffer = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer outBuffer = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        for (long g = 0; g < groups; g++) {
            int rowsHere = (int) Math.min(ROWS, rows - g * ROWS);
            reader.read(w, g * ROWS, rowsHere, in, rowBytes);
            Arrays.fill(in, rowsHere * rowBytes, in.length, (byte) 0);
            for (int lane = 0; lane < ROWS; lane++) {
                if (!packer.packRow(inBuffer, lane * rowBytes, lane, outBuffer)) {
                    return null;
                }
            }
            MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, g * blocks * chunk, out.length);
        }
        return dst;
    }

    /**
     * The packer of the 32-element formats (Q4_0, Q8_0: an f16 scale, then {@code quantBytes} bytes per
     * block): per block, the 32 rows' scales in row order, then for each {@code j < quantBytes} the 32
     * rows' byte {@code j} xor {@code flip}.
     */
    static RowPacker scaleAndBytes(int blocks, int quantBytes, byte flip) {
        int blockBytes = 2 + quantBytes;
        int chunk = 2 * ROWS + quantBytes * ROWS;
        return (in, rowStart, lane, out) -> {
            for (int b = 0; b < blocks; b++) {
                int from = rowStart + b * blockBytes;
                short scale = in.getShort(from);
                if ((scale & 0x7C00) == 0x7C00) {
                    return false;
                }
                int to = b * chunk;
                out.putShort(to + 2 * lane, scale);
                for (int j = 0; j < quantBytes; j++) {
                    out.put(to + 2 * ROWS + ROWS * j + lane, (byte) (in.get(from + 2 + j) ^ flip));
                }
            }
            return true;
        };
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
