package dev.flashj.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * FlashJ's W4A16 layout ({@link TensorType#INT4_G128}, {@link TensorType#INT4_G32}) for a
 * {@code [rows, cols]} matrix, {@code cols} a multiple of the group size G:
 *
 * <pre>
 * codes   rows * cols/2 bytes   row r at byte r*cols/2; within group g of the row (G/2 bytes at g*G/2)
 *                               byte j holds element j in its low nibble and element j + G/2 in its high one
 * params  rows * cols/G pairs   at byte rows*cols/2; pair (r, g) at + 4*(r*cols/G + g): f16 scale, f16 offset
 * </pre>
 *
 * An element is {@code code * scale + offset} with code in 0..15 (offset = -zero_point * scale). The
 * codes of a row are contiguous and 16-byte aligned when the tensor is (cols a multiple of 32), and
 * one load of G/2 bytes yields a whole group after a mask and a shift: no per-block header sits
 * between them, unlike GGML's Q4_0/Q4_1.
 */
public final class Int4Layout {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Int4Layout() {
    }

    /** Elements per group: 128 or 32. */
    public static int groupSize(TensorType type) {
        return switch (type) {
            case INT4_G128 -> 128;
            case INT4_G32 -> 32;
            default -> throw new IllegalArgumentException("not an INT4 type: " + type);
        };
    }

    /** Byte where the scale/offset region starts. */
    public static long paramsStart(long rows, long cols) {
        return rows * cols / 2;
    }

    /** Rows of a matrix with {@code cols} columns stored in {@code byteSize} bytes. */
    public static long rows(TensorType type, long byteSize, long cols) {
        return byteSize / type.bytesFor(cols);
    }

    /**
     * Decodes {@code count} elements starting at element {@code first} (row-major) of the matrix with
     * {@code cols} columns in {@code data}; {@code first} and {@code count} are multiples of the group size.
     */
    public static void decode(TensorType type, MemorySegment data, long cols, long first, float[] dst, int dstOffset, int count) {
        int group = groupSize(type);
        Objects.checkFromIndexSize(dstOffset, count, dst.length);
        if (cols <= 0 || cols % group != 0 || first < 0 || first % group != 0 || count % group != 0) {
            throw new IllegalArgumentException(type + ": columns " + cols + ", first element " + first + " and count "
                    + count + " must be multiples of the group size " + group);
        }
        long rows = rows(type, data.byteSize(), cols);
        Objects.checkFromIndexSize(first, count, rows * cols);
        long params = paramsStart(rows, cols);
        for (int done = 0; done < count; done += group) {
            long element = first + done;
            long row = element / cols;
            long groupInRow = element % cols / group;
            long codes = element / 2;
            long param = params + 4 * (row * (cols / group) + groupInRow);
            float scale = Float.float16ToFloat(data.get(F16, param));
            float offset = Float.float16ToFloat(data.get(F16, param + 2));
            for (int j = 0; j < group / 2; j++) {
                int b = data.get(ValueLayout.JAVA_BYTE, codes + j) & 0xFF;
                dst[dstOffset + done + j] = (b & 0xF) * scale + offset;
                dst[dstOffset + done + group / 2 + j] = (b >>> 4) * scale + offset;
            }
        }
    }
}
