package dev.flashj.synthetic;

import dev.flashj.tensor.TensorType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Encodes floats into GGUF tensor bytes: F32, F16, and the 32-element blocks of Q8_0 and Q4_0
 * quantized the way llama.cpp's reference quantizers do (round to nearest, one f16 scale per block).
 */
final class BlockEncoder {
    static final int BLOCK = 32;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;

    private BlockEncoder() {
    }

    /**
     * Writes {@code count} values from {@code values[from..]} at byte {@code offset} of {@code target}
     * in {@code type}'s layout; {@code count} is a multiple of the type's block size.
     */
    static void encode(TensorType type, float[] values, int from, int count, MemorySegment target, long offset) {
        switch (type) {
            case F32 -> {
                for (int i = 0; i < count; i++) {
                    target.set(FLOAT, offset + 4L * i, values[from + i]);
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    target.set(HALF, offset + 2L * i, Float.floatToFloat16(values[from + i]));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < count / BLOCK; b++) {
                    q8_0(values, from + b * BLOCK, target, offset + (long) b * type.bytesPerBlock());
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < count / BLOCK; b++) {
                    q4_0(values, from + b * BLOCK, target, offset + (long) b * type.bytesPerBlock());
                }
            }
            default -> throw new IllegalArgumentException("no encoder for " + type);
        }
    }

    /** Q8_0: scale d = max|x| / 127, then 32 signed bytes round(x / d). */
    private static void q8_0(float[] x, int from, MemorySegment target, long offset) {
        float amax = 0;
        for (int i = 0; i < BLOCK; i++) {
            amax = Math.max(amax, Math.abs(x[from + i]));
        }
        float d = amax / 127f;
        float inverse = d != 0 ? 1f / d : 0f;
        target.set(HALF, offset, Float.floatToFloat16(d));
        for (int i = 0; i < BLOCK; i++) {
            target.set(ValueLayout.JAVA_BYTE, offset + 2 + i, (byte) Math.round(x[from + i] * inverse));
        }
    }

    /**
     * Q4_0: the value of largest magnitude maps to -8 (d = max / -8), the rest to round(x / d) + 8
     * clamped to [0, 15]; element j < 16 in the low nibble of byte j, element j + 16 in its high nibble.
     */
    private static void q4_0(float[] x, int from, MemorySegment target, long offset) {
        float amax = 0;
        float max = 0;
        for (int i = 0; i < BLOCK; i++) {
            float v = x[from + i];
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8f;
        float inverse = d != 0 ? 1f / d : 0f;
        target.set(HALF, offset, Float.floatToFloat16(d));
        for (int j = 0; j < BLOCK / 2; j++) {
            int low = Math.min(15, (int) (x[from + j] * inverse + 8.5f));
            int high = Math.min(15, (int) (x[from + j + BLOCK / 2] * inverse + 8.5f));
            target.set(ValueLayout.JAVA_BYTE, offset + 2 + j, (byte) (low | high << 4));
        }
    }
}
