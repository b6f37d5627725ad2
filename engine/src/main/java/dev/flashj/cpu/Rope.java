package dev.flashj.cpu;

import dev.flashj.model.RopeStyle;

/** Applies rotary position embeddings in place to the heads of one token's Q or K vector. */
public final class Rope {
    private Rope() {
    }

    /**
     * Rotates the first {@code table.pairs()*2} dims of each of {@code heads} heads of size {@code headDim}
     * stored at {@code x[off ..]}, by the angles of {@code position}. INTERLEAVED rotates pairs
     * (2i, 2i+1), HALF rotates pairs (i, i + rotaryDims/2); dims past rotaryDims are left as they are.
     */
    public static void apply(float[] x, int off, int heads, int headDim, RopeStyle style, RopeTable table, int position) {
        int pairs = table.pairs();
        float[] cos = table.cos();
        float[] sin = table.sin();
        int row = position * pairs;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            if (style == RopeStyle.INTERLEAVED) {
                for (int i = 0; i < pairs; i++) {
                    float c = cos[row + i];
                    float s = sin[row + i];
                    float a = x[base + 2 * i];
                    float b = x[base + 2 * i + 1];
                    x[base + 2 * i] = a * c - b * s;
                    x[base + 2 * i + 1] = a * s + b * c;
                }
            } else {
                for (int i = 0; i < pairs; i++) {
                    float c = cos[row + i];
                    float s = sin[row + i];
                    float a = x[base + i];
                    float b = x[base + i + pairs];
                    x[base + i] = a * c - b * s;
                    x[base + i + pairs] = a * s + b * c;
                }
            }
        }
    }

    /** {@link #apply} for {@code count} consecutive tokens of {@code heads*headDim} at positions {@code first ..}. */
    public static void applyRows(float[] x, int off, int count, int heads, int headDim, RopeStyle style, RopeTable table, int first) {
        int stride = heads * headDim;
        for (int b = 0; b < count; b++) {
            apply(x, off + b * stride, heads, headDim, style, table, first + b);
        }
    }
}
