package dev.flashj.cpu;

import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused one-token products: bit for bit what separate {@link MatMul#matmul} calls (and
 * {@link Ops#siluMul}) give, close to the float64 reference, with any thread count and mixed
 * weight types, on odd row counts (GQA-like: K and V smaller than Q).
 */
class FusedMatVecTest {
    private static final TensorType[][] TYPE_MIXES = {
            {TensorType.F16, TensorType.F16, TensorType.F16},
            {TensorType.Q8_0, TensorType.Q4_0, TensorType.Q4_1},
            {TensorType.Q4_K, TensorType.Q4_K, TensorType.Q6_K},
            {TensorType.F32, TensorType.BF16, TensorType.Q5_0},
    };

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void stackedEqualsThreeMatmuls(int threadCount) {
        Random random = new Random(17 + threadCount);
        try (CpuThreads threads = new CpuThreads(threadCount); Arena arena = Arena.ofShared()) {
            for (TensorType[] types : TYPE_MIXES) {
                int cols = Arrays.stream(types).anyMatch(t -> t.blockSize() == 256) ? 512 : 96;
                int[] rows = {37, 5, 6};
                float[] x = randomX(random, 2 + cols);
                Tensor[] w = new Tensor[3];
                byte[][] bytes = new byte[3][];
                for (int m = 0; m < 3; m++) {
                    bytes[m] = MatMulReference.randomWeights(types[m], rows[m], cols, random);
                    w[m] = MatMulParityTest.oddlyPlaced(arena, types[m], rows[m], cols, bytes[m]);
                }
                float[][] fused = new float[3][];
                for (int m = 0; m < 3; m++) {
                    fused[m] = new float[rows[m] + 1];
                    Arrays.fill(fused[m], Float.NaN);
                }
                FusedMatVec.stacked(threads, x, 2, w[0], fused[0], w[1], fused[1], w[2], fused[2]);
                for (int m = 0; m < 3; m++) {
                    float[] single = new float[rows[m]];
                    MatMul.matmul(threads, w[m], x, 2, 1, single, 0);
                    double[][] expected = MatMulReference.matmul(types[m], bytes[m], rows[m], cols,
                            Arrays.copyOfRange(x, 2, x.length), 1);
                    for (int r = 0; r < rows[m]; r++) {
                        assertEquals(Float.floatToRawIntBits(single[r]), Float.floatToRawIntBits(fused[m][r]),
                                types[m] + " matrix " + m + " row " + r);
                        assertTrue(Math.abs(fused[m][r] - expected[0][r]) <= 1e-5 * expected[1][r] + 1e-6,
                                types[m] + " matrix " + m + " row " + r + ": " + fused[m][r] + " vs " + expected[0][r]);
                    }
                    assertTrue(Float.isNaN(fused[m][rows[m]]), "wrote past matrix " + m + "'s rows");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void swiGluEqualsTwoMatmulsAndSiluMul(int threadCount) {
        Random random = new Random(29 + threadCount);
        try (CpuThreads threads = new CpuThreads(threadCount); Arena arena = Arena.ofShared()) {
            for (TensorType[] types : TYPE_MIXES) {
                int cols = Arrays.stream(types).anyMatch(t -> t.blockSize() == 256) ? 256 : 64;
                int rows = 41;
                float[] x = randomX(random, cols + 1);
                byte[] gateBytes = MatMulReference.randomWeights(types[0], rows, cols, random);
                byte[] upBytes = MatMulReference.randomWeights(types[2], rows, cols, random);
                Tensor gate = MatMulParityTest.oddlyPlaced(arena, types[0], rows, cols, gateBytes);
                Tensor up = MatMulParityTest.oddlyPlaced(arena, types[2], rows, cols, upBytes);
                float[] fused = new float[rows + 2];
                Arrays.fill(fused, Float.NaN);
                FusedMatVec.swiGlu(threads, x, 1, gate, up, fused, 1);
                float[] g = new float[rows];
                float[] u = new float[rows];
                MatMul.matmul(threads, gate, x, 1, 1, g, 0);
                MatMul.matmul(threads, up, x, 1, 1, u, 0);
                Ops.siluMul(g, 0, u, 0, rows);
                double[] eg = MatMulReference.matmul(types[0], gateBytes, rows, cols, Arrays.copyOfRange(x, 1, x.length), 1)[0];
                double[] eu = MatMulReference.matmul(types[2], upBytes, rows, cols, Arrays.copyOfRange(x, 1, x.length), 1)[0];
                for (int r = 0; r < rows; r++) {
                    assertEquals(Float.floatToRawIntBits(g[r]), Float.floatToRawIntBits(fused[1 + r]), types[0] + " row " + r);
                    double expected = eg[r] / (1 + Math.exp(-eg[r])) * eu[r];
                    assertEquals(expected, fused[1 + r], 1e-4 * (1 + Math.abs(expected)), types[0] + " row " + r);
                }
                assertTrue(Float.isNaN(fused[0]) && Float.isNaN(fused[rows + 1]), "wrote outside its range");
            }
        }
    }

    @Test
    void modelMatricesFuseInPlaceOnesAndRepackedOnesAlike() {
        Random random = new Random(41);
        int rows = 64;
        int cols = 96;
        try (CpuThreads threads = new CpuThreads(2); Arena arena = Arena.ofShared()) {
            for (TensorType type : new TensorType[]{TensorType.F16, TensorType.Q8_0, TensorType.Q4_0}) {
                float[] x = randomX(random, cols);
                CpuMatrix[] w = new CpuMatrix[3];
                for (int m = 0; m < 3; m++) {
                    w[m] = CpuMatrix.prepare(MatMulParityTest.oddlyPlaced(arena, type, rows, cols,
                            MatMulReference.randomWeights(type, rows, cols, random)), arena);
                }
                float[][] fused = {new float[rows], new float[rows], new float[rows]};
                FusedMatVec.stacked(threads, x, 0, w[0], fused[0], w[1], fused[1], w[2], fused[2]);
                float[] swiGlu = new float[rows];
                FusedMatVec.swiGlu(threads, x, 0, w[0], w[1], swiGlu, 0, new float[rows]);
                float[][] single = new float[3][rows];
                for (int m = 0; m < 3; m++) {
                    w[m].matmul(threads, x, 0, 1, single[m], 0);
                    assertArrayEquals(single[m], fused[m], type + " matrix " + m);
                }
                Ops.siluMul(single[0], 0, single[1], 0, rows);
                assertArrayEquals(single[0], swiGlu, type + " SwiGLU");
            }
        }
    }

    @Test
    void aMixOfInPlaceAndRepackedMatricesIsMultipliedOneByOne() {
        Random random = new Random(43);
        int rows = 40;
        int cols = 64;
        try (CpuThreads threads = new CpuThreads(2); Arena arena = Arena.ofShared()) {
            float[] x = randomX(random, cols);
            TensorType[] types = {TensorType.Q8_0, TensorType.F16, TensorType.Q4_0};
            CpuMatrix[] w = new CpuMatrix[3];
            for (int m = 0; m < 3; m++) {
                w[m] = CpuMatrix.prepare(MatMulParityTest.oddlyPlaced(arena, types[m], rows, cols,
                        MatMulReference.randomWeights(types[m], rows, cols, random)), arena);
            }
            float[][] fused = {new float[rows], new float[rows], new float[rows]};
            FusedMatVec.stacked(threads, x, 0, w[0], fused[0], w[1], fused[1], w[2], fused[2]);
            float[] swiGlu = new float[rows];
            FusedMatVec.swiGlu(threads, x, 0, w[0], w[1], swiGlu, 0, new float[rows]);
            float[][] single = new float[3][rows];
            for (int m = 0; m < 3; m++) {
                w[m].matmul(threads, x, 0, 1, single[m], 0);
                assertArrayEquals(single[m], fused[m], types[m] + " matrix " + m);
            }
            Ops.siluMul(single[0], 0, single[1], 0, rows);
            assertArrayEquals(single[0], swiGlu, "mixed SwiGLU");
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        try (CpuThreads threads = new CpuThreads(1); Arena arena = Arena.ofShared()) {
            Random random = new Random(1);
            Tensor a = MatMulParityTest.oddlyPlaced(arena, TensorType.F32, 4, 32,
                    MatMulReference.randomWeights(TensorType.F32, 4, 32, random));
            Tensor wide = MatMulParityTest.oddlyPlaced(arena, TensorType.F32, 4, 64,
                    MatMulReference.randomWeights(TensorType.F32, 4, 64, random));
            Tensor tall = MatMulParityTest.oddlyPlaced(arena, TensorType.F32, 5, 32,
                    MatMulReference.randomWeights(TensorType.F32, 5, 32, random));
            float[] x = new float[32];
            float[] out = new float[8];
            assertThrows(IllegalArgumentException.class, () -> FusedMatVec.stacked(threads, x, 0, a, out, wide, out, a, out));
            assertThrows(IllegalArgumentException.class, () -> FusedMatVec.stacked(threads, x, 0, a, new float[3], a, out, a, out));
            assertThrows(IllegalArgumentException.class, () -> FusedMatVec.stacked(threads, x, 1, a, out, a, out, a, out));
            assertThrows(IllegalArgumentException.class, () -> FusedMatVec.swiGlu(threads, x, 0, a, tall, out, 0));
            assertThrows(IllegalArgumentException.class, () -> FusedMatVec.swiGlu(threads, x, 0, a, a, out, 5));
            CpuMatrix narrow = CpuMatrix.prepare(MatMulParityTest.oddlyPlaced(arena, TensorType.Q8_0, 32, 32,
                    MatMulReference.randomWeights(TensorType.Q8_0, 32, 32, random)), arena);
            CpuMatrix broad = CpuMatrix.prepare(MatMulParityTest.oddlyPlaced(arena, TensorType.Q8_0, 32, 64,
                    MatMulReference.randomWeights(TensorType.Q8_0, 32, 64, random)), arena);
            float[] rows32 = new float[32];
            assertThrows(IllegalArgumentException.class,
                    () -> FusedMatVec.stacked(threads, x, 0, narrow, rows32, broad, rows32, narrow, rows32));
            assertThrows(IllegalArgumentException.class,
                    () -> FusedMatVec.swiGlu(threads, x, 0, narrow, narrow, new float[31], 0, rows32));
        }
    }

    private static float[] randomX(Random random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = random.nextFloat() * 2 - 1;
        }
        return x;
    }
}
