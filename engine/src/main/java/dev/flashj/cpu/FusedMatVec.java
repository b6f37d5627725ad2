package dev.flashj.cpu;

import dev.flashj.FlashjException;
import dev.flashj.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Matrix-vector products of one token (decoding) for matrices that read the same activations,
 * fused into one {@link CpuThreads#parallelFor} instead of one per matrix: the attention's Q, K and
 * V projections over their stacked rows, and SwiGLU's gate and up projections row by row with the
 * activation applied at once. Fewer hand-offs between threads, no serial SwiGLU pass between two
 * matmuls, and for gate/up two weight streams per thread.
 *
 * <p>Every output is the same {@link DotKernel#dot} that {@link MatMul#matmul} and
 * {@link MatMul#matmulPerToken} compute for that row, whatever the thread count, so a fused step
 * agrees bit for bit with the unfused one.
 */
public final class FusedMatVec {
    private FusedMatVec() {
    }

    /**
     * {@code outA = A x}, {@code outB = B x}, {@code outC = C x} (each from offset 0) for one token
     * {@code x[xOffset, xOffset + cols)}; the three matrices have the same column count, any weight types.
     *
     * @throws IllegalArgumentException when the shapes or arrays do not fit
     */
    public static void stacked(CpuThreads threads, float[] x, int xOffset,
                               Tensor a, float[] outA, Tensor b, float[] outB, Tensor c, float[] outC) {
        Objects.requireNonNull(threads, "threads");
        int cols = columns(a, x, xOffset);
        int rowsA = rows(a, cols, outA);
        int rowsB = rows(b, cols, outB);
        int rowsC = rows(c, cols, outC);
        DotKernel kernelA = MatMul.kernel(a.type());
        DotKernel kernelB = MatMul.kernel(b.type());
        DotKernel kernelC = MatMul.kernel(c.type());
        float[] sums = blockSumsIfNeeded(x, xOffset, cols, kernelA, kernelB, kernelC);
        long bytesA = a.type().bytesFor(cols);
        long bytesB = b.type().bytesFor(cols);
        long bytesC = c.type().bytesFor(cols);
        MemorySegment dataA = a.data();
        MemorySegment dataB = b.data();
        MemorySegment dataC = c.data();
        int endB = rowsA + rowsB;
        threads.parallelFor(endB + rowsC, (start, end) -> {
            float[] lanes = MatMulScratch.lanes();
            dotRows(kernelA, dataA, bytesA, x, xOffset, sums, cols, outA, start, Math.min(end, rowsA), lanes);
            dotRows(kernelB, dataB, bytesB, x, xOffset, sums, cols, outB,
                    Math.max(start, rowsA) - rowsA, Math.min(end, endB) - rowsA, lanes);
            dotRows(kernelC, dataC, bytesC, x, xOffset, sums, cols, outC,
                    Math.max(start, endB) - endB, end - endB, lanes);
        });
    }

    /**
     * SwiGLU's hidden layer for one token: {@code out[outOffset + r] = silu(gate_r . x) * (up_r . x)}
     * with {@link Ops#silu}, i.e. what {@link MatMul#matmul} of both followed by {@link Ops#siluMul}
     * gives, in one pass.
     *
     * @throws IllegalArgumentException when the shapes or arrays do not fit
     */
    public static void swiGlu(CpuThreads threads, float[] x, int xOffset, Tensor gate, Tensor up, float[] out, int outOffset) {
        Objects.requireNonNull(threads, "threads");
        int cols = columns(gate, x, xOffset);
        int rows = rows(gate, cols, null);
        if (rows(up, cols, null) != rows || outOffset < 0 || (long) outOffset + rows > out.length) {
            throw new IllegalArgumentException("SwiGLU of " + gate + " and " + up + ": row counts differ or out["
                    + out.length + "] at " + outOffset + " is too small");
        }
        DotKernel kernelG = MatMul.kernel(gate.type());
        DotKernel kernelU = MatMul.kernel(up.type());
        float[] sums = blockSumsIfNeeded(x, xOffset, cols, kernelG, kernelU, kernelU);
        long bytesG = gate.type().bytesFor(cols);
        long bytesU = up.type().bytesFor(cols);
        MemorySegment dataG = gate.data();
        MemorySegment dataU = up.data();
        threads.parallelFor(rows, (start, end) -> {
            float[] lanes = MatMulScratch.lanes();
            for (int r = start; r < end; r++) {
                float g = kernelG.dot(dataG, r * bytesG, x, xOffset, sums, 0, cols, lanes);
                float u = kernelU.dot(dataU, r * bytesU, x, xOffset, sums, 0, cols, lanes);
                out[outOffset + r] = Ops.silu(g) * u;
            }
        });
    }

    /**
     * {@link #stacked(CpuThreads, float[], int, Tensor, float[], Tensor, float[], Tensor, float[])} for
     * the model's matrices: fused when all three are read in place, or all three repacked (one
     * activation quantization, {@link InterleavedMatrix#stacked}); a mix is multiplied one by one
     * ({@link CpuMatrix#matmul}, batch 1).
     */
    public static void stacked(CpuThreads threads, float[] x, int xOffset,
                               CpuMatrix a, float[] outA, CpuMatrix b, float[] outB, CpuMatrix c, float[] outC) {
        if (a instanceof InPlaceMatrix(Tensor ta) && b instanceof InPlaceMatrix(Tensor tb)
                && c instanceof InPlaceMatrix(Tensor tc)) {
            stacked(threads, x, xOffset, ta, outA, tb, outB, tc, outC);
        } else if (a instanceof InterleavedMatrix ia && b instanceof InterleavedMatrix ib
                && c instanceof InterleavedMatrix ic) {
            InterleavedMatrix.stacked(threads, x, xOffset, ia, outA, ib, outB, ic, outC);
        } else {
            a.matmul(threads, x, xOffset, 1, outA, 0);
            b.matmul(threads, x, xOffset, 1, outB, 0);
            c.matmul(threads, x, xOffset, 1, outC, 0);
        }
    }

    /**
     * {@link #swiGlu(CpuThreads, float[], int, Tensor, Tensor, float[], int)} for the model's matrices:
     * fused when both are read in place or both repacked ({@link InterleavedMatrix#swiGlu}), otherwise
     * the two products ({@code up}'s into {@code upScratch}, which must hold a row each) and then
     * {@link Ops#siluMul}.
     */
    public static void swiGlu(CpuThreads threads, float[] x, int xOffset, CpuMatrix gate, CpuMatrix up, float[] out,
                              int outOffset, float[] upScratch) {
        if (gate instanceof InPlaceMatrix(Tensor g) && up instanceof InPlaceMatrix(Tensor u)) {
            swiGlu(threads, x, xOffset, g, u, out, outOffset);
        } else if (gate instanceof InterleavedMatrix g && up instanceof InterleavedMatrix u) {
            InterleavedMatrix.swiGlu(threads, x, xOffset, g, u, out, outOffset, upScratch);
        } else {
            gate.matmul(threads, x, xOffset, 1, out, outOffset);
            up.matmul(threads, x, xOffset, 1, upScratch, 0);
            Ops.siluMul(out, outOffset, upScratch, 0, (int) gate.source().rows());
        }
    }

    private static void dotRows(DotKernel kernel, MemorySegment data, long rowBytes, float[] x, int xOffset, float[] sums,
                                int cols, float[] out, int from, int to, float[] lanes) {
        for (int r = from; r < to; r++) {
            out[r] = kernel.dot(data, r * rowBytes, x, xOffset, sums, 0, cols, lanes);
        }
    }

    /** The column count of {@code w}, checked against x and the type's block size. */
    private static int columns(Tensor w, float[] x, int xOffset) {
        if (w.cols() > Integer.MAX_VALUE || xOffset < 0 || xOffset + w.cols() > x.length) {
            throw new IllegalArgumentException("matmul of " + w + ": x[" + x.length + "] at " + xOffset + " is too small");
        }
        return (int) w.cols();
    }

    /** The row count of {@code w}, whose columns must be {@code cols}; {@code out} (when given) must hold a row each. */
    private static int rows(Tensor w, int cols, float[] out) {
        if (w.cols() != cols || w.rows() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("matmul of " + w + ": expected " + cols + " columns");
        }
        if (w.type().bytesFor(cols) < 0) {
            throw new FlashjException("matmul of " + w + ": " + cols + " columns is not a whole number of "
                    + w.type() + " blocks of " + w.type().blockSize());
        }
        if (out != null && out.length < w.rows()) {
            throw new IllegalArgumentException("matmul of " + w + ": out[" + out.length + "] is too small");
        }
        return (int) w.rows();
    }

    private static float[] blockSumsIfNeeded(float[] x, int xOffset, int cols, DotKernel a, DotKernel b, DotKernel c) {
        if (!a.needsBlockSums() && !b.needsBlockSums() && !c.needsBlockSums()) {
            return null;
        }
        float[] sums = MatMulScratch.sums(cols / 32);
        MatMul.blockSums(x, xOffset, cols, sums, 0);
        return sums;
    }
}
