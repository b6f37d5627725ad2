package dev.flashj.quant;

import static dev.flashj.quant.CRounding.putHalf;
import static dev.flashj.quant.CRounding.roundf;
import static dev.flashj.quant.CRounding.truncate;

/**
 * GGML's reference quantizers for the 32-element block types (quantize_row_*_ref in ggml-quants.c:
 * what llama-quantize runs without an importance matrix). Same float operations in the same order,
 * so the blocks are byte-identical to llama.cpp's.
 */
final class LegacyQuantizers {
    static final int BLOCK = 32;

    private LegacyQuantizers() {
    }

    /** Q8_0: d = amax/127, q = roundf(x/d). 34 bytes per block. */
    static void q8_0(float[] x, int from, int count, byte[] out, int at) {
        for (int b = 0; b < count / BLOCK; b++) {
            int xi = from + BLOCK * b;
            int o = at + 34 * b;
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) {
                amax = Math.max(amax, Math.abs(x[xi + j]));
            }
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putHalf(out, o, d);
            for (int j = 0; j < BLOCK; j++) {
                out[o + 2 + j] = (byte) roundf(x[xi + j] * id);
            }
        }
    }

    /** Q4_0: d = (signed value of largest magnitude)/-8, q = min(15, (int)(x/d + 8.5)). 18 bytes per block. */
    static void q4_0(float[] x, int from, int count, byte[] out, int at) {
        for (int b = 0; b < count / BLOCK; b++) {
            int xi = from + BLOCK * b;
            int o = at + 18 * b;
            float d = extreme(x, xi) / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putHalf(out, o, d);
            for (int j = 0; j < BLOCK / 2; j++) {
                int lo = Math.min(15, truncate(x[xi + j] * id + 8.5f));
                int hi = Math.min(15, truncate(x[xi + BLOCK / 2 + j] * id + 8.5f));
                out[o + 2 + j] = (byte) (lo | hi << 4);
            }
        }
    }

    /** Q5_0: d = extreme/-16, q = min(31, (int)(x/d + 16.5)); fifth bits packed in a u32. 22 bytes per block. */
    static void q5_0(float[] x, int from, int count, byte[] out, int at) {
        for (int b = 0; b < count / BLOCK; b++) {
            int xi = from + BLOCK * b;
            int o = at + 22 * b;
            float d = extreme(x, xi) / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putHalf(out, o, d);
            int qh = 0;
            for (int j = 0; j < BLOCK / 2; j++) {
                int lo = Math.min(31, truncate(x[xi + j] * id + 16.5f));
                int hi = Math.min(31, truncate(x[xi + BLOCK / 2 + j] * id + 16.5f));
                out[o + 6 + j] = (byte) ((lo & 0xF) | (hi & 0xF) << 4);
                qh |= ((lo & 0x10) >>> 4) << j;
                qh |= ((hi & 0x10) >>> 4) << (j + BLOCK / 2);
            }
            for (int k = 0; k < 4; k++) {
                out[o + 2 + k] = (byte) (qh >>> (8 * k));
            }
        }
    }

    /** The first element of largest magnitude, with its sign. */
    private static float extreme(float[] x, int xi) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < BLOCK; j++) {
            float v = x[xi + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }
}
