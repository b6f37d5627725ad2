package dev.flashj.quant;

import dev.flashj.tensor.Fp8Layout;
import dev.flashj.tensor.Int4Layout;
import dev.flashj.tensor.TensorType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Float weights to the bytes of a quantized (or plain) tensor type, row-major {@code [rows, cols]}.
 * GGML types follow llama.cpp's reference quantizers (byte-identical for Q8_0, Q4_0, Q5_0 and Q4_K);
 * INT4 and FP8 are FlashJ's formats.
 */
public final class WeightQuantizer {
    private WeightQuantizer() {
    }

    /** Whether {@link #quantize} can produce {@code type}. */
    public static boolean canProduce(TensorType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, INT4_G128, INT4_G32, FP8_E4M3 -> true;
            default -> false;
        };
    }

    /**
     * Encodes {@code values} ({@code rows * cols} floats) as {@code type}.
     *
     * @throws IllegalArgumentException when {@code cols} is not a multiple of the type's block or the
     *                                  type has no quantizer here
     */
    public static byte[] quantize(TensorType type, float[] values, int rows, int cols) {
        return quantize(type, values, rows, cols, null);
    }

    /**
     * Same, with per-column weights of the squared error ({@code cols} values, or null) for the types
     * whose quantizer searches (INT4); the GGML reference quantizers ignore them, as llama.cpp does
     * without an importance matrix.
     */
    public static byte[] quantize(TensorType type, float[] values, int rows, int cols, double[] columnWeights) {
        long elements = (long) rows * cols;
        if (values.length < elements) {
            throw new IllegalArgumentException("need " + elements + " values, got " + values.length);
        }
        if (cols % type.blockSize() != 0) {
            throw new IllegalArgumentException(cols + " columns is not a multiple of the " + type + " block size "
                    + type.blockSize());
        }
        long size = type.matrixBytes(rows, cols);
        if (size < 0 || size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(type + " [" + rows + ", " + cols + "] is too large for one array");
        }
        int n = (int) elements;
        return switch (type) {
            case F32 -> {
                byte[] out = new byte[4 * n];
                java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values, 0, n);
                yield out;
            }
            case F16, BF16 -> {
                byte[] out = new byte[2 * n];
                for (int i = 0; i < n; i++) {
                    short h = type == TensorType.F16 ? Float.floatToFloat16(values[i]) : toBfloat16(values[i]);
                    out[2 * i] = (byte) h;
                    out[2 * i + 1] = (byte) (h >>> 8);
                }
                yield out;
            }
            case Q8_0, Q4_0, Q5_0, Q4_K -> {
                byte[] out = new byte[(int) size];
                long rowBytes = type.bytesFor(cols);
                for (int r = 0; r < rows; r++) {
                    int from = r * cols;
                    int at = (int) (r * rowBytes);
                    switch (type) {
                        case Q8_0 -> LegacyQuantizers.q8_0(values, from, cols, out, at);
                        case Q4_0 -> LegacyQuantizers.q4_0(values, from, cols, out, at);
                        case Q5_0 -> LegacyQuantizers.q5_0(values, from, cols, out, at);
                        default -> Q4KQuantizer.quantize(values, from, cols, out, at);
                    }
                }
                yield out;
            }
            case INT4_G128, INT4_G32 -> Int4Quantizer.quantize(type, values, rows, cols, columnWeights);
            case FP8_E4M3 -> Fp8Quantizer.quantize(values, rows, cols);
            default -> throw new IllegalArgumentException("no quantizer for " + type);
        };
    }

    /**
     * Encodes rows {@code [firstRow, firstRow + rowCount)} of a {@code [totalRows, cols]} matrix of
     * {@code type} from {@code values} ({@code rowCount * cols} floats) into {@code target}, which holds
     * the whole tensor's bytes ({@code type.matrixBytes(totalRows, cols)}). The bytes equal those
     * {@link #quantize} gives for the whole matrix, so a large tensor can be written a few rows at a
     * time and from several threads (disjoint row ranges). INT4 and FP8 keep their per-row parameters
     * after all codes; their parts are placed where the whole tensor has them.
     */
    public static void quantizeRows(TensorType type, float[] values, int rowCount, int cols, MemorySegment target,
                                    long totalRows, long firstRow) {
        if (firstRow < 0 || rowCount < 0 || firstRow + rowCount > totalRows
                || target.byteSize() != type.matrixBytes(totalRows, cols)) {
            throw new IllegalArgumentException("rows " + firstRow + ".." + (firstRow + rowCount) + " of a " + type + " ["
                    + totalRows + ", " + cols + "] matrix do not fit a target of " + target.byteSize() + " bytes");
        }
        byte[] chunk = quantize(type, values, rowCount, cols, null);
        switch (type) {
            case INT4_G128, INT4_G32 -> {
                long codeBytes = (long) rowCount * cols / 2;
                long paramBytesPerRow = 4L * (cols / Int4Layout.groupSize(type));
                place(chunk, 0, codeBytes, target, firstRow * cols / 2);
                place(chunk, codeBytes, chunk.length - codeBytes, target,
                        Int4Layout.paramsStart(totalRows, cols) + firstRow * paramBytesPerRow);
            }
            case FP8_E4M3 -> {
                long codeBytes = (long) rowCount * cols;
                place(chunk, 0, codeBytes, target, firstRow * cols);
                place(chunk, codeBytes, chunk.length - codeBytes, target, Fp8Layout.scaleOffset(totalRows, cols, firstRow));
            }
            default -> place(chunk, 0, chunk.length, target, firstRow * type.bytesFor(cols));
        }
    }

    private static void place(byte[] chunk, long from, long length, MemorySegment target, long at) {
        MemorySegment.copy(chunk, (int) from, target, ValueLayout.JAVA_BYTE, at, (int) length);
    }

    /** Round to nearest even, as GGML's fp32-to-bf16 does (NaN kept quiet). */
    private static short toBfloat16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
