package dev.flashj.cpu;

import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Tensor;

/** Placeholder (scalar) until the Vector API kernels land: weight matrix times a batch of activations. */
public final class MatMul {
    private MatMul() {
    }

    /**
     * {@code out[outOffset + b*rows + r] = sum_c W[r, c] * x[xOffset + b*cols + c]} for every token
     * {@code b < batch}. W is [rows, cols] of any supported type, read in place from the mapped file.
     */
    public static void matmul(CpuThreads threads, Tensor w, float[] x, int xOffset, int batch, float[] out, int outOffset) {
        int rows = (int) w.rows();
        int cols = (int) w.cols();
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            Dequantizer.dequantize(w, (long) r * cols, row, 0, cols);
            for (int b = 0; b < batch; b++) {
                float sum = 0;
                for (int c = 0; c < cols; c++) {
                    sum += row[c] * x[xOffset + b * cols + c];
                }
                out[outOffset + b * rows + r] = sum;
            }
        }
    }
}
