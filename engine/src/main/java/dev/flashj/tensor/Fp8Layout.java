package dev.flashj.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * FlashJ's FP8 layout ({@link TensorType#FP8_E4M3}) for a {@code [rows, cols]} matrix:
 *
 * <pre>
 * codes   rows * cols bytes   row-major, one OCP E4M3 ("FN": no infinities, 0x7F/0xFF are NaN) per element
 * scales  rows f32            at byte rows*cols: the row's (output channel's) scale
 * </pre>
 *
 * An element is {@code e4m3(code) * scale}. Writers never store the NaN codes.
 */
public final class Fp8Layout {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** The largest finite E4M3 magnitude (1.75 * 2^8). */
    public static final float MAX = 448f;
    private static final int MAX_CODE = 0x7E;
    private static final float[] VALUES = new float[256];

    static {
        for (int code = 0; code < 256; code++) {
            VALUES[code] = computeValue(code);
        }
    }

    private Fp8Layout() {
    }

    /** Rows of a matrix with {@code cols} columns stored in {@code byteSize} bytes. */
    public static long rows(long byteSize, long cols) {
        return byteSize / (cols + 4);
    }

    /** Byte of row {@code row}'s scale. */
    public static long scaleOffset(long rows, long cols, long row) {
        return rows * cols + 4 * row;
    }

    /** The value of an E4M3 code (bits seeeemmm, exponent bias 7, subnormals when eeee = 0). */
    public static float value(int code) {
        return VALUES[code & 0xFF];
    }

    private static float computeValue(int code) {
        int exponent = (code >>> 3) & 0xF;
        int mantissa = code & 7;
        float sign = (code & 0x80) != 0 ? -1f : 1f;
        if (exponent == 0xF && mantissa == 7) {
            return Float.NaN;
        }
        if (exponent == 0) {
            return sign * Math.scalb(mantissa / 8f, -6);
        }
        return sign * Math.scalb(1 + mantissa / 8f, exponent - 7);
    }

    /**
     * The nearest E4M3 code to {@code v} (ties to even mantissa), saturating at ±448; NaN encodes as 0.
     */
    public static int encode(float v) {
        if (Float.isNaN(v)) {
            return 0;
        }
        int sign = v < 0 || (v == 0 && 1 / v < 0) ? 0x80 : 0;
        double a = Math.abs((double) v);
        int code;
        if (a < 0x1p-6) {
            code = (int) Math.rint(a * 0x1p9);             // subnormal steps of 2^-9; 8 rolls into 2^-6
        } else {
            int exponent = Math.min(Math.getExponent(a), 8);
            int mantissa = (int) Math.rint((Math.scalb(a, -exponent) - 1) * 8);
            if (mantissa == 8) {
                exponent++;
                mantissa = 0;
            }
            code = exponent > 8 ? MAX_CODE : Math.min(MAX_CODE, ((exponent + 7) << 3) | mantissa);
        }
        return sign | code;
    }

    /** Decodes {@code count} elements from element {@code first} (row-major) of the matrix with {@code cols} columns. */
    public static void decode(MemorySegment data, long cols, long first, float[] dst, int dstOffset, int count) {
        Objects.checkFromIndexSize(dstOffset, count, dst.length);
        if (cols <= 0) {
            throw new IllegalArgumentException("FP8_E4M3: columns must be positive, got " + cols);
        }
        long rows = rows(data.byteSize(), cols);
        Objects.checkFromIndexSize(first, count, rows * cols);
        for (int i = 0; i < count; i++) {
            long element = first + i;
            float scale = data.get(F32, scaleOffset(rows, cols, element / cols));
            dst[dstOffset + i] = value(data.get(ValueLayout.JAVA_BYTE, element)) * scale;
        }
    }
}
