package dev.flashj.cpu;

import dev.flashj.FlashjException;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every supported weight type against a float64 reference that decodes blocks with its own scalar
 * code. Weights live in a read-only segment at an odd address; outputs start as NaN so that an
 * element the kernel forgets fails. Tolerance: |got - ref| <= 1e-5 * sum|w*x| + 1e-6 — float
 * rounding of the accumulation (the kernels keep activations in float, no 8-bit quantization).
 * Row counts leave 1, 2 and 3 rows in the last 4-row prefill panel; batches leave 1 and 3 tokens in
 * the last 4-token group; rows of 32768 columns split a batch of 17 into token tiles of 8, 8 and 1.
 */
class MatMulParityTest {
    private static final double RELATIVE_TOLERANCE = 1e-5;
    private static final int[] ROWS = {1, 6, 7, 257};
    private static final int[] BATCHES = {1, 3, 17, 64};

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

    /** FlashJ's own formats (INT4_*, FP8_E4M3) have their reference in {@link FlashjFormatMatMulTest}. */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q2_K", "Q3_K", "INT4_G128", "INT4_G32", "FP8_E4M3"},
            mode = EnumSource.Mode.EXCLUDE)
    void matchesFloat64Reference(TensorType type) {
        Random random = new Random(type.ordinal() * 7919L + 17);
        for (int cols : columnsFor(type)) {
            for (int rows : ROWS) {
                for (int batch : BATCHES) {
                    check(type, rows, cols, batch, random);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"F16", "Q4_0", "Q4_K"})
    void longRowsSplitTheBatchIntoTokenTiles(TensorType type) {
        int cols = 32768;
        assertEquals(8, MatMul.TILE_BYTES / (4 * cols), "the tile these shapes are meant to exercise");
        check(type, 7, cols, 17, new Random(type.ordinal()));
    }

    private static int[] columnsFor(TensorType type) {
        return switch (type.blockSize()) {
            case 1 -> new int[]{1, 2, 15, 16, 33, 67, 300};
            case 32 -> new int[]{32, 96, 224, 1056};
            default -> new int[]{256, 768};
        };
    }

    private static void check(TensorType type, int rows, int cols, int batch, Random random) {
        byte[] bytes = MatMulReference.randomWeights(type, rows, cols, random);
        float[] x = new float[2 + batch * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat() * 2 - 1;
        }
        float[] xs = Arrays.copyOfRange(x, 2, x.length);
        double[][] expected = MatMulReference.matmul(type, bytes, rows, cols, xs, batch);
        try (Arena arena = Arena.ofShared()) {
            Tensor w = oddlyPlaced(arena, type, rows, cols, bytes);
            float[] got1 = run(serial, w, x, batch, rows);
            float[] got3 = run(three, w, x, batch, rows);
            String where = type + " rows=" + rows + " cols=" + cols + " batch=" + batch;
            assertArrayEquals(got1, got3, where + ": 1 thread vs 3 threads");
            for (int i = 0; i < batch * rows; i++) {
                double tolerance = RELATIVE_TOLERANCE * expected[1][i] + 1e-6;
                double error = Math.abs(got1[3 + i] - expected[0][i]);
                if (!(error <= tolerance)) {
                    fail(where + " out[" + i + "]: got " + got1[3 + i] + ", expected " + expected[0][i]
                            + " (tolerance " + tolerance + ")");
                }
            }
            assertTrue(Float.isNaN(got1[2]) && Float.isNaN(got1[3 + batch * rows]), where + ": wrote outside its range");
        }
    }

    /** Runs with x at offset 2 and out at offset 3 in NaN-poisoned arrays with a spare element on each side. */
    private static float[] run(CpuThreads threads, Tensor w, float[] x, int batch, int rows) {
        float[] out = new float[4 + batch * rows];
        Arrays.fill(out, Float.NaN);
        MatMul.matmul(threads, w, x, 2, batch, out, 3);
        return out;
    }

    /** A read-only tensor whose bytes start at an odd address (mapped files align nothing). */
    static Tensor oddlyPlaced(Arena arena, TensorType type, int rows, int cols, byte[] bytes) {
        MemorySegment backing = arena.allocate(bytes.length + 8L, 8);
        MemorySegment data = backing.asSlice(1, bytes.length);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, data, 0, bytes.length);
        return new Tensor("w", type, new long[]{rows, cols}, data.asReadOnly());
    }

    /** The scalar decoders back the rarer types and every type on vector shapes without fused kernels. */
    @ParameterizedTest
    @EnumSource(DotScalarKernels.class)
    void scalarDecodersMatchTheReference(DotScalarKernels kernel) {
        TensorType type = TensorType.valueOf(kernel.name());
        int cols = 3 * type.blockSize();
        Random random = new Random(31L * type.ordinal());
        byte[] bytes = MatMulReference.randomWeights(type, 2, cols, random);
        try (Arena arena = Arena.ofShared()) {
            Tensor w = oddlyPlaced(arena, type, 2, cols, bytes);
            float[] row = new float[cols];
            kernel.decode(w.data(), type.bytesFor(cols), row, cols);
            for (int c = 0; c < cols; c++) {
                double expected = MatMulReference.element(type, bytes, cols + c);
                assertEquals(expected, row[c], 1e-6 * Math.abs(expected) + 1e-9, type + " element " + c);
            }
        }
    }

    @Test
    void halfWideningIsExactForEveryBitPattern() {
        byte[] bytes = new byte[2 * 65536];
        for (int h = 0; h < 65536; h++) {
            bytes[2 * h] = (byte) h;
            bytes[2 * h + 1] = (byte) (h >> 8);
        }
        try (Arena arena = Arena.ofShared()) {
            Tensor w = oddlyPlaced(arena, TensorType.F16, 1, 65536, bytes);
            float[] decoded = new float[65536];
            MatMul.kernel(TensorType.F16).decode(w.data(), 0, decoded, 65536);
            for (int h = 0; h < 65536; h++) {
                float expected = Float.float16ToFloat((short) h);
                if (Float.floatToIntBits(expected) != Float.floatToIntBits(decoded[h])
                        && !(Float.isNaN(expected) && Float.isNaN(decoded[h]))) {
                    fail("half 0x" + Integer.toHexString(h) + ": got " + decoded[h] + ", expected " + expected);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q2_K", "Q3_K"})
    void unsupportedTypesFailLoudly(TensorType type) {
        try (Arena arena = Arena.ofShared()) {
            Tensor w = new Tensor("w", type, new long[]{1, 256}, arena.allocate(type.bytesPerBlock()));
            FlashjException e = assertThrows(FlashjException.class,
                    () -> MatMul.matmul(serial, w, new float[256], 0, 1, new float[1], 0));
            assertEquals("matmul of " + type + " is not supported on CPU", e.getMessage());
        }
    }

    @Test
    void rejectsArraysTooSmallForTheShapes() {
        try (Arena arena = Arena.ofShared()) {
            Tensor w = new Tensor("w", TensorType.F32, new long[]{4, 8}, arena.allocate(128));
            assertThrows(IllegalArgumentException.class, () -> MatMul.matmul(serial, w, new float[15], 0, 2, new float[8], 0));
            assertThrows(IllegalArgumentException.class, () -> MatMul.matmul(serial, w, new float[16], 1, 2, new float[8], 0));
            assertThrows(IllegalArgumentException.class, () -> MatMul.matmul(serial, w, new float[16], 0, 2, new float[8], 1));
        }
    }
}
