package dev.flashj.quant;

import dev.flashj.tensor.Int4Layout;
import dev.flashj.tensor.TensorType;

/**
 * Group-wise asymmetric 4-bit quantization into {@link Int4Layout}. Per group, a few clipping ranges
 * (the full min..max, then shrunk by 4% steps towards the group's midpoint) are tried; for each,
 * codes are rounded, scale and offset refitted by least squares and rounded to f16 as they will be
 * stored, the codes rounded again against the stored values, and the range with the smallest squared
 * error wins.
 */
final class Int4Quantizer {
    private static final int CLIP_STEPS = 6;
    private static final float CLIP_STEP = 0.04f;

    private Int4Quantizer() {
    }

    /**
     * Quantizes a row-major {@code [rows, cols]} matrix into the layout; {@code columnWeights} (or
     * null for equal weights) scales each column's squared error, e.g. by its activation energy.
     */
    static byte[] quantize(TensorType type, float[] w, int rows, int cols, double[] columnWeights) {
        int group = Int4Layout.groupSize(type);
        long size = type.matrixBytes(rows, cols);
        if (cols % group != 0 || size < 0 || size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(type + ": cannot hold a [" + rows + ", " + cols + "] matrix");
        }
        byte[] out = new byte[(int) size];
        int params = (int) Int4Layout.paramsStart(rows, cols);
        int[] codes = new int[group];
        int[] best = new int[group];
        float[] fit = new float[2];
        double[] weights = new double[group];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols / group; g++) {
                int from = r * cols + g * group;
                for (int i = 0; i < group; i++) {
                    weights[i] = columnWeights == null ? 1 : columnWeights[g * group + i];
                }
                quantizeGroup(w, from, group, weights, codes, best, fit);
                int codeAt = from / 2;
                for (int j = 0; j < group / 2; j++) {
                    out[codeAt + j] = (byte) (best[j] | best[j + group / 2] << 4);
                }
                int p = params + 4 * (r * (cols / group) + g);
                CRounding.putHalf(out, p, fit[0]);
                CRounding.putHalf(out, p + 2, fit[1]);
            }
        }
        return out;
    }

    /** Leaves the winning codes in {@code best} and the f16-exact (scale, offset) in {@code fit}. */
    private static void quantizeGroup(float[] x, int from, int n, double[] weights, int[] codes, int[] best, float[] fit) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            min = Math.min(min, x[from + i]);
            max = Math.max(max, x[from + i]);
        }
        double bestError = Double.POSITIVE_INFINITY;
        float mid = (min + max) / 2;
        for (int step = 0; step < CLIP_STEPS; step++) {
            float shrink = 1 - CLIP_STEP * step;
            float lo = mid + (min - mid) * shrink;
            float hi = mid + (max - mid) * shrink;
            float scale = (hi - lo) / 15;
            roundCodes(x, from, n, scale, lo, codes);
            // Weighted least-squares scale and offset for these codes.
            double sw = 0, sq = 0, sq2 = 0, sx = 0, sqx = 0;
            for (int i = 0; i < n; i++) {
                double wi = weights[i];
                sw += wi;
                sq += wi * codes[i];
                sq2 += wi * codes[i] * codes[i];
                sx += wi * x[from + i];
                sqx += wi * codes[i] * x[from + i];
            }
            double det = sw * sq2 - sq * sq;
            if (det > 0) {
                scale = (float) ((sw * sqx - sq * sx) / det);
                lo = (float) ((sq2 * sx - sq * sqx) / det);
            }
            float storedScale = Float.float16ToFloat(Float.floatToFloat16(scale));
            float storedOffset = Float.float16ToFloat(Float.floatToFloat16(lo));
            roundCodes(x, from, n, storedScale, storedOffset, codes);
            double error = 0;
            for (int i = 0; i < n; i++) {
                double diff = codes[i] * storedScale + storedOffset - x[from + i];
                error += weights[i] * diff * diff;
            }
            if (error < bestError) {
                bestError = error;
                System.arraycopy(codes, 0, best, 0, n);
                fit[0] = storedScale;
                fit[1] = storedOffset;
            }
        }
    }

    private static void roundCodes(float[] x, int from, int n, float scale, float offset, int[] codes) {
        for (int i = 0; i < n; i++) {
            int q = scale > 0 ? (int) Math.rint((x[from + i] - offset) / scale) : 0;
            codes[i] = Math.max(0, Math.min(15, q));
        }
    }
}
