package dev.flashj.cpu;

import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batched-decode matmul: each token's output is bit for bit the single-token matmul's, and close
 * to the float64 reference, for every weight type, on odd shapes and offsets.
 */
class MatMulPerTokenTest {
    private static CpuThreads threads;

    @BeforeAll
    static void start() {
        threads = new CpuThreads(3);
    }

    @AfterAll
    static void stop() {
        threads.close();
    }

    /** FlashJ's own formats (INT4_*, FP8_E4M3) have no random-block generator in {@link MatMulReference}. */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q2_K", "Q3_K", "INT4_G128", "INT4_G32", "FP8_E4M3"},
            mode = EnumSource.Mode.EXCLUDE)
    void everyTokenMatchesItsSingleTokenProductExactly(TensorType type) {
        Random random = new Random(31L * type.ordinal() + 5);
        int cols = type.blockSize() == 1 ? 67 : type.blockSize() == 32 ? 96 : 512;
        int rows = 37;
        int batch = 11;
        byte[] bytes = MatMulReference.randomWeights(type, rows, cols, random);
        float[] x = new float[3 + batch * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat() * 2 - 1;
        }
        double[][] expected = MatMulReference.matmul(type, bytes, rows, cols, Arrays.copyOfRange(x, 3, x.length), batch);
        try (Arena arena = Arena.ofShared()) {
            Tensor w = MatMulParityTest.oddlyPlaced(arena, type, rows, cols, bytes);
            float[] batched = new float[2 + batch * rows];
            Arrays.fill(batched, Float.NaN);
            MatMul.matmulPerToken(threads, w, x, 3, batch, batched, 1);
            float[] single = new float[rows];
            for (int t = 0; t < batch; t++) {
                Arrays.fill(single, Float.NaN);
                MatMul.matmul(threads, w, x, 3 + t * cols, 1, single, 0);
                for (int r = 0; r < rows; r++) {
                    float got = batched[1 + t * rows + r];
                    assertEquals(Float.floatToRawIntBits(single[r]), Float.floatToRawIntBits(got),
                            type + " token " + t + " row " + r + ": " + got + " vs single " + single[r]);
                    double tolerance = 1e-5 * expected[1][t * rows + r] + 1e-6;
                    assertTrue(Math.abs(got - expected[0][t * rows + r]) <= tolerance,
                            type + " token " + t + " row " + r + ": " + got + " vs " + expected[0][t * rows + r]);
                }
            }
            assertTrue(Float.isNaN(batched[0]) && Float.isNaN(batched[1 + batch * rows]), "wrote outside its range");
        }
    }
}
