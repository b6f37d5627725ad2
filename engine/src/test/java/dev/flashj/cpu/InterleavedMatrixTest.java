package dev.flashj.cpu;

import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The repacked kernels (Q4_0, Q8_0, Q4_K, Q6_K, INT4; 8-bit activations) against a float64 reference that quantizes the
 * activations with its own scalar code exactly as llama.cpp's Q8_0 does, so the only difference left
 * is float rounding of the per-block scale products: |got - ref| <= 1e-5 * sum|w*x| + 1e-6. A
 * second, looser check bounds the error against unquantized activations (what quantizing them
 * costs). Row counts leave 1 and 31 rows in the last 32-row group; batches leave 1-3 tokens after
 * the 4-token kernel; outputs start as NaN. Prefill batches (8 tokens and more) take the in-place
 * float kernel, whose parity {@link MatMulParityTest} covers.
 */
class InterleavedMatrixTest {
    private static final int[] ROWS = {1, 31, 33, 70};
    private static final int[] COLS = {32, 96, 288};
    private static final int[] SUPER_BLOCK_COLS = {256, 768};
    private static final int[] INT4_G128_COLS = {128, 384};
    private static final int[] BATCHES = {1, 3, 4, 9};

    private static CpuThreads serial;
    private static CpuThreads three;

    @BeforeAll
    static void startPools() {
        Assumptions.assumeTrue(InterleavedMatrix.supported(),
                "the repacked Q4_0/Q8_0 kernels need 512-bit vectors; this CPU keeps every matrix in place");
        serial = new CpuThreads(1);
        three = new CpuThreads(3);
    }

    @AfterAll
    static void stopPools() {
        if (serial != null) {
            serial.close();
            three.close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q4_0", "Q8_0", "Q4_K", "Q6_K", "INT4_G128", "INT4_G32"})
    void matchesFloat64ReferenceWithQuantizedActivations(TensorType type) {
        Random random = new Random(4242 + type.ordinal());
        for (int rows : ROWS) {
            for (int cols : type.blockSize() == 256 ? SUPER_BLOCK_COLS : type == TensorType.INT4_G128 ? INT4_G128_COLS : COLS) {
                for (int batch : BATCHES) {
                    check(type, rows, cols, batch, random);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q4_0", "Q8_0", "Q4_K", "Q6_K", "INT4_G128", "INT4_G32"})
    void eachTokenOfABatchEqualsThatTokenAlone(TensorType type) {
        Random random = new Random(7);
        // 70 rows: the last group holds 6; batches 4, 7 and 9 run the 4-token kernel once or twice with 0-3 left over.
        int rows = 70;
        int cols = columns(type, 160);
        byte[] bytes = MatMulReference.randomWeights(type, rows, cols, random);
        float[] x = randomActivations(9 * cols, random);
        try (Arena arena = Arena.ofShared()) {
            CpuMatrix w = CpuMatrix.prepare(MatMulParityTest.oddlyPlaced(arena, type, rows, cols, bytes), arena);
            float[][] alone = new float[9][rows];
            for (int t = 0; t < 9; t++) {
                w.matmul(serial, x, t * cols, 1, alone[t], 0);
            }
            for (int batch : new int[] {4, 7, 9}) {
                float[] perToken = new float[batch * rows];
                w.matmulPerToken(three, x, 0, batch, perToken, 0);
                for (int t = 0; t < batch; t++) {
                    assertArrayEquals(alone[t], Arrays.copyOfRange(perToken, t * rows, (t + 1) * rows),
                            "batch " + batch + ", token " + t);
                }
                if (batch < InterleavedMatrix.PREFILL_IN_PLACE_FROM) {
                    float[] all = new float[batch * rows];
                    w.matmul(three, x, 0, batch, all, 0);
                    assertArrayEquals(perToken, all, "batch " + batch + ": matmul vs matmulPerToken");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q4_0", "Q8_0", "Q4_K", "Q6_K", "INT4_G128", "INT4_G32"})
    void prefillBatchesUseTheFloatKernelInPlace(TensorType type) {
        Random random = new Random(5);
        int rows = 40;
        int cols = columns(type, 96);
        int batch = InterleavedMatrix.PREFILL_IN_PLACE_FROM + 1;
        byte[] bytes = MatMulReference.randomWeights(type, rows, cols, random);
        float[] x = randomActivations(batch * cols, random);
        try (Arena arena = Arena.ofShared()) {
            Tensor t = MatMulParityTest.oddlyPlaced(arena, type, rows, cols, bytes);
            float[] packed = new float[batch * rows];
            Arrays.fill(packed, Float.NaN);
            MatMul.matmul(three, CpuMatrix.prepare(t, arena), x, 0, batch, packed, 0);
            float[] inPlace = new float[batch * rows];
            MatMul.matmul(three, t, x, 0, batch, inPlace, 0);
            assertArrayEquals(inPlace, packed);
        }
    }

    @Test
    void activationCodesEqualAScalarQuantizer() {
        Random random = new Random(11);
        int cols = 256;
        float[] x = randomActivations(2 * cols, random);
        x[5] = 0;
        Arrays.fill(x, 32, 64, 0f); // an all-zero block has scale 0 and codes 0
        Q8Activations q = Q8Activations.scratch();
        q.quantize(x, 0, 2, cols);
        for (int k = 0; k < 2 * cols / 32; k++) {
            float amax = 0;
            for (int i = 0; i < 32; i++) {
                amax = Math.max(amax, Math.abs(x[32 * k + i]));
            }
            float d = amax / 127f;
            assertEquals(d, q.scales()[k], "scale of block " + k);
            float inverse = d == 0 ? 0 : 1 / d;
            for (int i = 0; i < 32; i++) {
                float v = x[32 * k + i] * inverse;
                int expected = (int) Math.copySign(Math.floor(Math.abs(v) + 0.5f), v);
                int paired = q.pairedCodes()[32 * k + i];
                assertEquals(expected, (short) paired, "code of element " + (32 * k + i));
                assertEquals(expected, paired >> 16, "high copy of the code of element " + (32 * k + i));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q4_0", "Q8_0", "Q4_K", "Q6_K"})
    void nonFiniteScalesKeepTheMatrixInPlace(TensorType type) {
        int cols = columns(type, 64);
        byte[] bytes = MatMulReference.randomWeights(type, 32, cols, new Random(3));
        // +Inf as the second block's scale (Q6_K keeps its d at the end of the block).
        int scaleAt = type.bytesPerBlock() + (type == TensorType.Q6_K ? 208 : 0);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(scaleAt, (short) 0x7C00);
        try (Arena arena = Arena.ofShared()) {
            Tensor t = MatMulParityTest.oddlyPlaced(arena, type, 32, cols, bytes);
            assertInstanceOf(InPlaceMatrix.class, CpuMatrix.prepare(t, arena));
        }
    }

    /** An infinite scale, or a NaN offset, of one INT4 (row, group) pair: the first row's second group. */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"INT4_G128", "INT4_G32"})
    void nonFiniteInt4ScalesOrOffsetsKeepTheMatrixInPlace(TensorType type) {
        int rows = 33;
        int cols = 256;
        for (int field = 0; field < 2; field++) {
            byte[] bytes = MatMulReference.randomWeights(type, rows, cols, new Random(3 + field));
            int pair = rows * cols / 2 + 4;
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(pair + 2 * field, field == 0 ? (short) 0x7C00 : (short) 0x7E00);
            try (Arena arena = Arena.ofShared()) {
                Tensor t = MatMulParityTest.oddlyPlaced(arena, type, rows, cols, bytes);
                assertInstanceOf(InPlaceMatrix.class, CpuMatrix.prepare(t, arena), type + (field == 0 ? " scale" : " offset"));
            }
        }
    }

    /** {@code -Dflashj.cpu.repack=false} keeps INT4 in place like every other type (read at each prepare). */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q4_0", "INT4_G128", "INT4_G32"})
    void repackingOffKeepsTheMatrixInPlace(TensorType type) {
        byte[] bytes = MatMulReference.randomWeights(type, 32, 256, new Random(9));
        String before = System.getProperty(CpuMatrix.REPACK_PROPERTY);
        try (Arena arena = Arena.ofShared()) {
            Tensor t = MatMulParityTest.oddlyPlaced(arena, type, 32, 256, bytes);
            assertInstanceOf(InterleavedMatrix.class, CpuMatrix.prepare(t, arena));
            System.setProperty(CpuMatrix.REPACK_PROPERTY, "false");
            assertInstanceOf(InPlaceMatrix.class, CpuMatrix.prepare(t, arena));
        } finally {
            if (before == null) {
                System.clearProperty(CpuMatrix.REPACK_PROPERTY);
            } else {
                System.setProperty(CpuMatrix.REPACK_PROPERTY, before);
            }
        }
    }

    @Test
    void decodeBatchesOfARepackedMatrixQuantizeTheActivations() {
        byte[] bytes = MatMulReference.randomWeights(TensorType.Q8_0, 32, 64, new Random(3));
        try (Arena arena = Arena.ofShared()) {
            Tensor t = MatMulParityTest.oddlyPlaced(arena, TensorType.Q8_0, 32, 64, bytes);
            CpuMatrix packed = CpuMatrix.prepare(t, arena);
            assertTrue(packed.quantizesActivations(1));
            assertTrue(packed.quantizesActivations(InterleavedMatrix.PREFILL_IN_PLACE_FROM - 1));
            assertFalse(packed.quantizesActivations(InterleavedMatrix.PREFILL_IN_PLACE_FROM), "prefill runs the float tile");
            assertFalse(CpuMatrix.inPlace(t).quantizesActivations(1));
        }
    }

    @Test
    void otherTypesStayInPlace() {
        byte[] bytes = MatMulReference.randomWeights(TensorType.Q4_1, 32, 64, new Random(3));
        try (Arena arena = Arena.ofShared()) {
            Tensor t = MatMulParityTest.oddlyPlaced(arena, TensorType.Q4_1, 32, 64, bytes);
            assertInstanceOf(InPlaceMatrix.class, CpuMatrix.prepare(t, arena));
        }
    }

    @Test
    void packedCopySizes() {
        assertEquals(TensorType.Q4_0.matrixBytes(64, 4096), InterleavedMatrix.packedBytes(64, 4096, InterleavedQ4_0.CHUNK));
        assertEquals(TensorType.Q4_0.matrixBytes(64, 4096), InterleavedMatrix.packedBytes(33, 4096, InterleavedQ4_0.CHUNK));
        assertEquals(TensorType.Q8_0.matrixBytes(64, 4096), InterleavedMatrix.packedBytes(64, 4096, InterleavedQ8_0.CHUNK));
        assertEquals(TensorType.Q8_0.matrixBytes(64, 4096), InterleavedMatrix.packedBytes(33, 4096, InterleavedQ8_0.CHUNK));
        // Q4_K: two f32 factors per 32 weights instead of 4.5 bytes of super-block header.
        assertEquals(24L * 64 * 4096 / 32, InterleavedMatrix.packedBytes(33, 4096, InterleavedQ4K.CHUNK));
        // Q6_K: a byte per code and two f32 factors per 32 weights.
        assertEquals(40L * 64 * 4096 / 32, InterleavedMatrix.packedBytes(33, 4096, InterleavedQ6K.CHUNK));
        // INT4: the file's codes and its one scale/offset pair per row and group, nothing repeated per block.
        for (TensorType type : new TensorType[]{TensorType.INT4_G128, TensorType.INT4_G32}) {
            assertEquals(type.matrixBytes(64, 4096), InterleavedMatrix.packedBytes(64, 4096, InterleavedInt4.chunk(type)));
            assertEquals(type.matrixBytes(64, 4096), InterleavedMatrix.packedBytes(33, 4096, InterleavedInt4.chunk(type)));
        }
    }

    /** {@code small} columns, two super-blocks for the 256-element k-quants, or two groups for INT4_G128. */
    private static int columns(TensorType type, int small) {
        return type.blockSize() == 256 ? 512 : type == TensorType.INT4_G128 ? 256 : small;
    }

    @Test
    void aBatchThatDoesNotFitIsRejected() {
        byte[] bytes = MatMulReference.randomWeights(TensorType.Q4_0, 32, 64, new Random(3));
        try (Arena arena = Arena.ofShared()) {
            CpuMatrix w = CpuMatrix.prepare(MatMulParityTest.oddlyPlaced(arena, TensorType.Q4_0, 32, 64, bytes), arena);
            assertThrows(IllegalArgumentException.class, () -> w.matmul(serial, new float[64], 0, 2, new float[64], 0));
            assertThrows(IllegalArgumentException.class, () -> w.matmul(serial, new float[64], 0, 1, new float[31], 0));
        }
    }

    private static void check(TensorType type, int rows, int cols, int batch, Random random) {
        byte[] bytes = MatMulReference.randomWeights(type, rows, cols, random);
        float[] x = randomActivations(2 + batch * cols, random);
        float[] xs = Arrays.copyOfRange(x, 2, x.length);
        double[][] exact = MatMulReference.matmul(type, bytes, rows, cols, xs, batch);
        double[][] expected = quantizedReference(type, bytes, rows, cols, xs, batch);
        String where = type + " rows=" + rows + " cols=" + cols + " batch=" + batch;
        try (Arena arena = Arena.ofShared()) {
            CpuMatrix w = CpuMatrix.prepare(MatMulParityTest.oddlyPlaced(arena, type, rows, cols, bytes), arena);
            assertInstanceOf(InterleavedMatrix.class, w, where);
            float[] got1 = run(serial, w, x, batch, rows);
            float[] got3 = run(three, w, x, batch, rows);
            assertArrayEquals(got1, got3, where + ": 1 thread vs 3 threads");
            for (int i = 0; i < batch * rows; i++) {
                double error = Math.abs(got1[3 + i] - expected[0][i]);
                double tolerance = 1e-5 * exact[1][i] + 1e-6;
                if (!(error <= tolerance)) {
                    fail(where + " out[" + i + "]: got " + got1[3 + i] + ", expected " + expected[0][i]
                            + " (tolerance " + tolerance + ")");
                }
                // 8-bit activations: each element off by at most half a step d_x.
                assertTrue(Math.abs(got1[3 + i] - exact[0][i]) <= expected[1][i] * 1.0001 + tolerance,
                        where + " out[" + i + "] strays from the unquantized product");
            }
            assertTrue(Float.isNaN(got1[2]) && Float.isNaN(got1[3 + batch * rows]), where + ": wrote outside its range");
        }
    }

    private static float[] run(CpuThreads threads, CpuMatrix w, float[] x, int batch, int rows) {
        float[] out = new float[4 + batch * rows];
        Arrays.fill(out, Float.NaN);
        MatMul.matmulPerToken(threads, w, x, 2, batch, out, 3);
        return out;
    }

    private static float[] randomActivations(int n, Random random) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    /**
     * float64 of sum_i w_i * (d_x * c_i): the weights decoded exactly by {@link MatMulReference}, the
     * activations quantized per 32-block by llama.cpp's rule (d = max|x| / 127 in float, codes rounded
     * half away from zero); row [1] is the bound sum_i |w_i| * d_x / 2 on what quantizing x may change.
     */
    private static double[][] quantizedReference(TensorType type, byte[] w, int rows, int cols, float[] x, int batch) {
        double[][] out = new double[2][batch * rows];
        for (int t = 0; t < batch; t++) {
            for (int r = 0; r < rows; r++) {
                double sum = 0;
                double bound = 0;
                for (int b = 0; b < cols / 32; b++) {
                    float amax = 0;
                    for (int i = 0; i < 32; i++) {
                        amax = Math.max(amax, Math.abs(x[t * cols + 32 * b + i]));
                    }
                    float dx = amax / 127f;
                    float inverse = dx == 0 ? 0 : 1 / dx;
                    for (int i = 0; i < 32; i++) {
                        double weight = MatMulReference.element(type, w, cols, (long) r * cols + 32L * b + i);
                        float v = x[t * cols + 32 * b + i] * inverse;
                        double code = Math.copySign(Math.floor(Math.abs(v) + 0.5f), v);
                        sum += weight * dx * code;
                        bound += Math.abs(weight) * dx / 2;
                    }
                }
                out[0][t * rows + r] = sum;
                out[1][t * rows + r] = bound;
            }
        }
        return out;
    }

}
