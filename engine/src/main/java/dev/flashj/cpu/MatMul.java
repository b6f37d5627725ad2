package dev.flashj.cpu;

import dev.flashj.FlashjException;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Weight matrix times a batch of activations on the CPU, with Vector API kernels that read the
 * weights in place from their (read-only, possibly unaligned) mapped segment.
 *
 * <p>With one token (decoding) the work is bound by memory bandwidth: rows are split into one
 * contiguous range per thread, and each weight byte is read once and dotted straight from its
 * encoded form ({@link DotKernel#dot}). With several tokens (prefill) the rows are grouped in
 * panels of {@link FloatTile#ROWS}, split across threads by whole panels; each panel is decoded to
 * floats once per tile of tokens whose activations stay in cache, and the register-tiled
 * {@link FloatTile} kernel multiplies it with {@link FloatTile#TOKENS} tokens at a time.
 *
 * <p>Supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, Q8_K. Activations
 * are kept in float here, so results match a float64 reference up to float rounding. The model
 * decodes Q4_0, Q8_0, Q4_K, Q6_K and INT4 faster from copies repacked at load and multiplied with 8-bit activations
 * ({@link CpuMatrix#prepare}, {@link InterleavedMatrix}); the overloads taking a {@link CpuMatrix}
 * dispatch to whichever form a matrix has.
 */
public final class MatMul {
    /**
     * Bytes of activations a token tile may occupy. Each panel is decoded once per tile, so bigger
     * tiles amortise decoding better; measured on 1 MiB L2 + 32 MiB L3 (docs/perf/cpu.md, run 3):
     * 8-token tiles ran at half the speed of 64-token ones, and past about 1 MiB it levels off.
     */
    static final int TILE_BYTES = 1024 * 1024;

    private MatMul() {
    }

    /**
     * {@code out[outOffset + b*rows + r] = sum_c W[r, c] * x[xOffset + b*cols + c]} for every token
     * {@code b < batch}. W is [rows, cols] of any supported type, read in place from the mapped file.
     *
     * @throws FlashjException for a weight type the CPU kernels do not support (Q2_K, Q3_K)
     * @throws IllegalArgumentException when the arrays are too small for the shapes
     */
    public static void matmul(CpuThreads threads, Tensor w, float[] x, int xOffset, int batch, float[] out, int outOffset) {
        Objects.requireNonNull(threads, "threads");
        DotKernel kernel = kernel(w.type());
        long rowCount = w.rows();
        long colCount = w.cols();
        if (rowCount > Integer.MAX_VALUE || colCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("matmul of " + w + ": too many rows or columns");
        }
        int rows = (int) rowCount;
        int cols = (int) colCount;
        long rowBytes = w.type().bytesFor(cols);
        if (rowBytes < 0) {
            throw new FlashjException("matmul of " + w + ": " + cols + " columns is not a whole number of "
                    + w.type() + " blocks of " + w.type().blockSize());
        }
        checkBatch(w, x, xOffset, batch, out, outOffset);
        if (batch == 0 || rows == 0) {
            return;
        }
        MemorySegment data = w.data();
        if (batch == 1) {
            float[] sums = kernel.needsBlockSums() ? blockSums(x, xOffset, cols) : null;
            threads.parallelFor(rows, (start, end) -> {
                float[] lanes = MatMulScratch.lanes();
                for (int r = start; r < end; r++) {
                    out[outOffset + r] = kernel.dot(data, r * rowBytes, x, xOffset, sums, 0, cols, lanes);
                }
            });
        } else {
            int panels = (rows + FloatTile.ROWS - 1) / FloatTile.ROWS;
            threads.parallelFor(panels, (start, end) ->
                    multiplyPanels(kernel, data, rowBytes, rows, cols, x, xOffset, batch, out, outOffset, start, end));
        }
    }

    /**
     * The same product as {@link #matmul} for a batch of decode tokens, computed so that each token's
     * output is bit for bit what {@code matmul} gives that token alone (batch 1): every weight row is
     * fetched from memory once and dotted straight from its encoded form with each token while it is
     * in cache. Batched decoding uses it so that a sequence's tokens do not depend on its batch mates.
     */
    public static void matmulPerToken(CpuThreads threads, Tensor w, float[] x, int xOffset, int batch, float[] out,
                                      int outOffset) {
        if (batch <= 1) {
            matmul(threads, w, x, xOffset, batch, out, outOffset);
            return;
        }
        DotKernel kernel = kernel(w.type());
        int rows = (int) w.rows();
        int cols = (int) w.cols();
        // matmul(batch 1) validates the shapes; check the whole batch fits as well.
        if (w.rows() > Integer.MAX_VALUE || w.cols() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("matmul of " + w + ": too many rows or columns");
        }
        checkBatch(w, x, xOffset, batch, out, outOffset);
        long rowBytes = w.type().bytesFor(cols);
        if (rowBytes < 0) {
            throw new FlashjException("matmul of " + w + ": " + cols + " columns is not a whole number of "
                    + w.type() + " blocks of " + w.type().blockSize());
        }
        int sumBlocks = cols / 32;
        float[] sums = null;
        if (kernel.needsBlockSums()) {
            sums = MatMulScratch.sums(batch * sumBlocks);
            for (int t = 0; t < batch; t++) {
                blockSums(x, xOffset + t * cols, cols, sums, t * sumBlocks);
            }
        }
        float[] tokenSums = sums;
        MemorySegment data = w.data();
        threads.parallelFor(rows, (start, end) -> {
            float[] lanes = MatMulScratch.lanes();
            for (int r = start; r < end; r++) {
                for (int t = 0; t < batch; t++) {
                    out[outOffset + t * rows + r] = kernel.dot(data, r * rowBytes, x, xOffset + t * cols,
                            tokenSums, t * sumBlocks, cols, lanes);
                }
            }
        });
    }

    /** {@link #matmul} with a matrix prepared for the CPU (in place or repacked). */
    public static void matmul(CpuThreads threads, CpuMatrix w, float[] x, int xOffset, int batch, float[] out, int outOffset) {
        Objects.requireNonNull(threads, "threads");
        w.matmul(threads, x, xOffset, batch, out, outOffset);
    }

    /** {@link #matmulPerToken} with a matrix prepared for the CPU (in place or repacked). */
    public static void matmulPerToken(CpuThreads threads, CpuMatrix w, float[] x, int xOffset, int batch, float[] out,
                                      int outOffset) {
        Objects.requireNonNull(threads, "threads");
        w.matmulPerToken(threads, x, xOffset, batch, out, outOffset);
    }

    /** Throws unless {@code batch} tokens of W's columns fit x at xOffset and its rows fit out at outOffset. */
    static void checkBatch(Tensor w, float[] x, int xOffset, int batch, float[] out, int outOffset) {
        long rows = w.rows();
        long cols = w.cols();
        if (batch < 0 || xOffset < 0 || outOffset < 0
                || (long) xOffset + (long) batch * cols > x.length
                || (long) outOffset + (long) batch * rows > out.length) {
            throw new IllegalArgumentException("matmul of " + w + ": batch " + batch + " does not fit x["
                    + x.length + "] at " + xOffset + " or out[" + out.length + "] at " + outOffset);
        }
    }

    /** The kernel for a weight type, or an exception naming the unsupported type. */
    static DotKernel kernel(TensorType type) {
        return switch (type) {
            case F32 -> DotF32.INSTANCE;
            case F16 -> DotF16.INSTANCE;
            case BF16 -> DotBF16.INSTANCE;
            case Q8_0 -> DotQ8_0.INSTANCE;
            case Q4_0 -> DotQ4_0.INSTANCE;
            case Q4_1 -> DotScalarKernels.Q4_1;
            case Q5_0 -> DotScalarKernels.Q5_0;
            case Q5_1 -> DotScalarKernels.Q5_1;
            case Q4_K -> DotQ4K.INSTANCE;
            case Q5_K -> DotScalarKernels.Q5_K;
            case Q6_K -> DotQ6K.INSTANCE;
            case Q8_K -> DotScalarKernels.Q8_K;
            case INT4_G128 -> DotInt4.G128;
            case INT4_G32 -> DotInt4.G32;
            case FP8_E4M3 -> DotFp8.INSTANCE;
            case Q2_K, Q3_K -> throw new FlashjException("matmul of " + type + " is not supported on CPU");
        };
    }

    /**
     * Panels [start, end) of {@link FloatTile#ROWS} rows for every token, one token tile at a time:
     * each panel is decoded once per token tile and multiplied with {@link FloatTile#TOKENS} tokens
     * per kernel call. A panel past the last row, or a token group past the batch, repeats its last
     * row or token and drops the extra results.
     */
    private static void multiplyPanels(DotKernel kernel, MemorySegment data, long rowBytes, int rows, int cols,
                                       float[] x, int xOffset, int batch, float[] out, int outOffset, int start, int end) {
        float[] w0 = MatMulScratch.panelRow(0, cols);
        float[] w1 = MatMulScratch.panelRow(1, cols);
        float[] w2 = MatMulScratch.panelRow(2, cols);
        float[] w3 = MatMulScratch.panelRow(3, cols);
        float[] lanes = MatMulScratch.tileLanes();
        float[] sums = MatMulScratch.tileSums();
        int tile = Math.max(FloatTile.TOKENS, TILE_BYTES / (4 * Math.max(cols, 1)) / FloatTile.TOKENS * FloatTile.TOKENS);
        for (int t0 = 0; t0 < batch; t0 += tile) {
            int t1 = Math.min(batch, t0 + tile);
            for (int pi = start; pi < end; pi++) {
                int r0 = pi * FloatTile.ROWS;
                int panelRows = Math.min(FloatTile.ROWS, rows - r0);
                int lastRow = r0 + panelRows - 1;
                kernel.decode(data, r0 * rowBytes, w0, cols);
                kernel.decode(data, Math.min(r0 + 1, lastRow) * rowBytes, w1, cols);
                kernel.decode(data, Math.min(r0 + 2, lastRow) * rowBytes, w2, cols);
                kernel.decode(data, Math.min(r0 + 3, lastRow) * rowBytes, w3, cols);
                for (int t = t0; t < t1; t += FloatTile.TOKENS) {
                    int last = t1 - 1;
                    FloatTile.multiply(w0, w1, w2, w3, cols, x,
                            xOffset + t * cols,
                            xOffset + Math.min(t + 1, last) * cols,
                            xOffset + Math.min(t + 2, last) * cols,
                            xOffset + Math.min(t + 3, last) * cols,
                            sums, lanes);
                    int tokens = Math.min(FloatTile.TOKENS, t1 - t);
                    for (int r = 0; r < panelRows; r++) {
                        for (int k = 0; k < tokens; k++) {
                            out[outOffset + (t + k) * rows + r0 + r] = sums[FloatTile.TOKENS * r + k];
                        }
                    }
                }
            }
        }
    }

    /** Sums of x over each 32-element block, for kernels with a per-block min term. */
    private static float[] blockSums(float[] x, int xOffset, int cols) {
        float[] sums = MatMulScratch.sums(cols / 32);
        blockSums(x, xOffset, cols, sums, 0);
        return sums;
    }

    /** The sum of each 32-element block of one token's activations, into {@code sums[offset..]}. */
    static void blockSums(float[] x, int xOffset, int cols, float[] sums, int offset) {
        for (int k = 0; k < cols / 32; k++) {
            float s = 0;
            for (int i = 0; i < 32; i++) {
                s += x[xOffset + 32 * k + i];
            }
            sums[offset + k] = s;
        }
    }
}
