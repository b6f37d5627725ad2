package dev.flashj.cuda.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import dev.flashj.tensor.Fp8Layout;

/**
 * Float64 matrix products over the device tile layouts, walking them the way the kernels of quant_gemv.cu do
 * (tile, chunk, lane, mma step, fragment pair) rather than through the layouts' own index functions, so that a
 * match with the row-major CPU reference checks the addressing the kernels rely on.
 * {@code x} is [tokens, cols]; the result is [tokens, rows].
 */
public final class TileKernelReference {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt WORD = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TileKernelReference() {
    }

    public static double[] int4(int group, MemorySegment codes, MemorySegment params, int rows, int cols, float[] x, int tokens) {
        int rowTiles = Int4TileLayout.paddedRows(rows) / 16;
        int paddedRows = rowTiles * 16;
        int chunks = Int4TileLayout.chunks(cols);
        double[] out = new double[tokens * rows];
        for (int tile = 0; tile < rowTiles; tile++) {
            for (int chunk = 0; chunk < chunks; chunk++) {
                long base = ((long) tile * chunks + chunk) * 512;
                for (int lane = 0; lane < 32; lane++) {
                    int runStart = chunk * 64 + (lane & 3) * 16;
                    int g = runStart / group;
                    for (int step = 0; step < 4; step++) {
                        int word = codes.get(WORD, base + 16L * lane + 4L * step);
                        for (int pair = 0; pair < 4; pair++) {
                            int row = tile * 16 + (lane >> 2) + 8 * (pair & 1);
                            long param = 4L * ((long) g * paddedRows + row);
                            double scale = Float.float16ToFloat(params.get(F16, param));
                            double offset = Float.float16ToFloat(params.get(F16, param + 2));
                            for (int e = 0; e < 2; e++) {
                                int code = (word >>> (4 * pair + 16 * e)) & 0xF;
                                int k = runStart + 4 * step + 2 * (pair >> 1) + e;
                                accumulate(out, x, tokens, rows, cols, row, k, code * scale + offset);
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    public static double[] fp8(MemorySegment codes, MemorySegment scales, int rows, int cols, float[] x, int tokens) {
        int rowTiles = Fp8TileLayout.paddedRows(rows) / 16;
        int chunks = Fp8TileLayout.chunks(cols);
        double[] out = new double[tokens * rows];
        for (int tile = 0; tile < rowTiles; tile++) {
            for (int chunk = 0; chunk < chunks; chunk++) {
                long base = ((long) tile * chunks + chunk) * 512;
                for (int lane = 0; lane < 32; lane++) {
                    int runStart = chunk * 32 + (lane & 3) * 8;
                    for (int b = 0; b < 16; b++) {
                        int row = tile * 16 + (lane >> 2) + 8 * (b / 8);
                        int k = runStart + b % 8;
                        double scale = scales.get(F32, 4L * row);
                        accumulate(out, x, tokens, rows, cols, row, k, Fp8Layout.value(codes.get(ValueLayout.JAVA_BYTE, base + 16L * lane + b)) * scale);
                    }
                }
            }
        }
        return out;
    }

    private static void accumulate(double[] out, float[] x, int tokens, int rows, int cols, int row, int k, double weight) {
        if (row >= rows || k >= cols) {
            return;
        }
        for (int t = 0; t < tokens; t++) {
            out[t * rows + row] += weight * x[t * cols + k];
        }
    }

    /** out[t, r] = sum_k x[t, k] * w[r, k] in float64 for a row-major float matrix. */
    public static double[] rowMajor(float[] w, int rows, int cols, float[] x, int tokens) {
        double[] out = new double[tokens * rows];
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                double sum = 0;
                for (int k = 0; k < cols; k++) {
                    sum += (double) w[r * cols + k] * x[t * cols + k];
                }
                out[t * rows + r] = sum;
            }
        }
        return out;
    }
}
