package dev.flashj.cpu;

import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * FlashJ's INT4 and FP8 kernels against a float64 reference that reads the layouts with its own
 * scalar code (written from docs/quantization.md, not from the engine's decoders). Random bytes,
 * odd shapes, NaN-poisoned outputs, 1 vs 3 threads. Also: the vector decoders equal the scalar
 * {@link Dequantizer} bit for bit.
 */
class FlashjFormatMatMulTest {
    private static final int[] ROWS = {1, 7, 33};
    private static final int[] BATCHES = {1, 3, 17};

    private static CpuThreads serial;
    private static CpuThreads three;

    @BeforeAll
    static void startPools() {
        serial = new CpuThreads(1);
        three = new CpuThreads(3);
    }

    @AfterAll
    static void stopPools() {
        serial.close();
        three.close();
    }

    private static int[] columnsFor(TensorType type) {
        return switch (type) {
            case INT4_G128 -> new int[]{128, 384, 1152};
            case INT4_G32 -> new int[]{32, 96, 224, 1056};
            default -> new int[]{1, 15, 16, 67, 300};   // FP8 takes any width
        };
    }

    /** Random codes; f16 scale/offset or f32 row scales of plausible size. FP8 codes avoid the NaN pair. */
    static byte[] randomWeights(TensorType type, int rows, int cols, Random random) {
        byte[] bytes = new byte[(int) type.matrixBytes(rows, cols)];
        random.nextBytes(bytes);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (type == TensorType.FP8_E4M3) {
            for (int i = 0; i < rows * cols; i++) {
                if ((bytes[i] & 0x7F) == 0x7F) {
                    bytes[i] ^= 1;
                }
            }
            for (int r = 0; r < rows; r++) {
                buf.putFloat(rows * cols + 4 * r, (random.nextFloat() + 0.1f) * 1e-3f);
            }
        } else {
            int group = type == TensorType.INT4_G128 ? 128 : 32;
            int params = rows * cols / 2;
            for (int p = 0; p < rows * (cols / group); p++) {
                buf.putShort(params + 4 * p, Float.floatToFloat16((random.nextFloat() + 0.05f) * 0.01f));
                buf.putShort(params + 4 * p + 2, Float.floatToFloat16((random.nextFloat() - 0.5f) * 0.1f));
            }
        }
        return bytes;
    }

    /** Element (r, c) as the layout document defines it, in double. */
    static double element(TensorType type, byte[] w, int rows, int cols, int r, int c) {
        ByteBuffer buf = ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN);
        if (type == TensorType.FP8_E4M3) {
            int code = w[r * cols + c] & 0xFF;
            int exponent = (code >> 3) & 15;
            int mantissa = code & 7;
            double magnitude = exponent == 0 ? mantissa / 8.0 * Math.pow(2, -6) : (1 + mantissa / 8.0) * Math.pow(2, exponent - 7);
            return ((code & 0x80) != 0 ? -magnitude : magnitude) * buf.getFloat(rows * cols + 4 * r);
        }
        int group = type == TensorType.INT4_G128 ? 128 : 32;
        int g = c / group;
        int within = c % group;
        int b = w[(r * cols + g * group) / 2 + within % (group / 2)] & 0xFF;
        int code = within < group / 2 ? b & 15 : b >> 4;
        int p = rows * cols / 2 + 4 * (r * (cols / group) + g);
        return code * (double) Float.float16ToFloat(buf.getShort(p)) + Float.float16ToFloat(buf.getShort(p + 2));
    }

    /** The documented float formula: {@code (float) (e4m3 * scale)}, or {@code code * scale + offset} in float. */
    static float elementInFloat(TensorType type, byte[] w, int rows, int cols, int r, int c) {
        if (type == TensorType.FP8_E4M3) {
            return (float) element(type, w, rows, cols, r, c);   // an exact e4m3 value times a float: one rounding
        }
        ByteBuffer buf = ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN);
        int group = type == TensorType.INT4_G128 ? 128 : 32;
        int g = c / group;
        int within = c % group;
        int b = w[(r * cols + g * group) / 2 + within % (group / 2)] & 0xFF;
        int code = within < group / 2 ? b & 15 : b >> 4;
        int p = rows * cols / 2 + 4 * (r * (cols / group) + g);
        float scale = Float.float16ToFloat(buf.getShort(p));
        float offset = Float.float16ToFloat(buf.getShort(p + 2));
        return code * scale + offset;
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"INT4_G128", "INT4_G32", "FP8_E4M3"})
    void matchesFloat64Reference(TensorType type) {
        Random random = new Random(type.ordinal() * 31L + 3);
        for (int cols : columnsFor(type)) {
            for (int rows : ROWS) {
                for (int batch : BATCHES) {
                    check(type, rows, cols, batch, random);
                }
            }
        }
    }

    private static void check(TensorType type, int rows, int cols, int batch, Random random) {
        byte[] bytes = randomWeights(type, rows, cols, random);
        float[] x = new float[2 + batch * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat() * 2 - 1;
        }
        try (Arena arena = Arena.ofShared()) {
            Tensor w = MatMulParityTest.oddlyPlaced(arena, type, rows, cols, bytes);
            float[] got1 = run(serial, w, x, batch, rows);
            float[] got3 = run(three, w, x, batch, rows);
            String where = type + " rows=" + rows + " cols=" + cols + " batch=" + batch;
            assertArrayEquals(got1, got3, where + ": 1 thread vs 3 threads");
            for (int b = 0; b < batch; b++) {
                for (int r = 0; r < rows; r++) {
                    double sum = 0;
                    double magnitude = 0;
                    for (int c = 0; c < cols; c++) {
                        double term = element(type, bytes, rows, cols, r, c) * x[2 + b * cols + c];
                        sum += term;
                        magnitude += Math.abs(term);
                    }
                    double got = got1[3 + b * rows + r];
                    if (!(Math.abs(got - sum) <= 1e-5 * magnitude + 1e-7)) {
                        fail(where + " out[" + b + ", " + r + "]: got " + got + ", expected " + sum);
                    }
                }
            }
            assertTrue(Float.isNaN(got1[2]) && Float.isNaN(got1[3 + batch * rows]), where + ": wrote outside its range");
        }
    }

    private static float[] run(CpuThreads threads, Tensor w, float[] x, int batch, int rows) {
        float[] out = new float[4 + batch * rows];
        Arrays.fill(out, Float.NaN);
        MatMul.matmul(threads, w, x, 2, batch, out, 3);
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"INT4_G128", "INT4_G32", "FP8_E4M3"})
    void vectorDecodeEqualsScalarDequantizerBitForBit(TensorType type) {
        Random random = new Random(type.ordinal() + 101L);
        int rows = 5;
        int cols = type == TensorType.FP8_E4M3 ? 37 : 256;
        byte[] bytes = randomWeights(type, rows, cols, random);
        try (Arena arena = Arena.ofShared()) {
            Tensor w = MatMulParityTest.oddlyPlaced(arena, type, rows, cols, bytes);
            float[] scalar = Dequantizer.toFloats(w);
            DotKernel kernel = MatMul.kernel(type);
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                Arrays.fill(row, Float.NaN);
                kernel.decode(w.data(), r * type.bytesFor(cols), row, cols);
                for (int c = 0; c < cols; c++) {
                    float expected = scalar[r * cols + c];
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(row[c]),
                            type + " (" + r + ", " + c + "): " + row[c] + " vs " + expected);
                    assertEquals(Float.floatToRawIntBits(elementInFloat(type, bytes, rows, cols, r, c)),
                            Float.floatToRawIntBits(expected), type + " (" + r + ", " + c + ") against the test's reference");
                }
            }
        }
    }

    @Test
    void int4NeedsWholeGroups() {
        try (Arena arena = Arena.ofShared()) {
            assertThrows(IllegalArgumentException.class,
                    () -> new Tensor("w", TensorType.INT4_G128, new long[]{2, 96}, arena.allocate(2 * 68)));
        }
    }
}
