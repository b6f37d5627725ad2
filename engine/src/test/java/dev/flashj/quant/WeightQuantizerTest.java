package dev.flashj.quant;

import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Fp8Layout;
import dev.flashj.tensor.Int4Layout;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Quantize → dequantize error bounds per type, on random matrices with an outlier column. */
class WeightQuantizerTest {

    private static float[] randomMatrix(int rows, int cols, long seed) {
        Random random = new Random(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (random.nextGaussian() * 0.02);
        }
        for (int r = 0; r < rows; r++) {
            w[r * cols + 5] *= 20;   // outliers, as real checkpoints have
        }
        return w;
    }

    private static float[] roundTrip(TensorType type, float[] w, int rows, int cols) {
        byte[] bytes = WeightQuantizer.quantize(type, w, rows, cols);
        Tensor t = new Tensor("w", type, new long[]{rows, cols}, MemorySegment.ofArray(bytes));
        return Dequantizer.toFloats(t);
    }

    /**
     * Writing a matrix a few rows at a time (ragged chunks, last chunk first) gives the bytes of the whole
     * matrix quantized at once: the INT4 parameters and FP8 scales land after all codes, where they belong.
     */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q5_0", "Q4_K", "INT4_G128",
            "INT4_G32", "FP8_E4M3"})
    void rowChunksGiveTheWholeMatrixBytes(TensorType type) {
        int rows = 11;
        int cols = 512;
        float[] w = randomMatrix(rows, cols, 23);
        byte[] whole = WeightQuantizer.quantize(type, w, rows, cols);
        int[] starts = {8, 3, 0};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment target = arena.allocate(type.matrixBytes(rows, cols));
            target.fill((byte) 0x5A);
            int end = rows;
            for (int first : starts) {
                float[] chunk = Arrays.copyOfRange(w, first * cols, end * cols);
                WeightQuantizer.quantizeRows(type, chunk, end - first, cols, target, rows, first);
                end = first;
            }
            assertEquals(-1, MemorySegment.mismatch(target, 0, target.byteSize(), MemorySegment.ofArray(whole), 0,
                    whole.length), type.toString());
            assertThrows(IllegalArgumentException.class,
                    () -> WeightQuantizer.quantizeRows(type, w, 4, cols, target, rows, 8), "rows past the end");
        }
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"INT4_G128", "INT4_G32"})
    void int4ErrorIsWithinOneStepOfItsGroup(TensorType type) {
        int rows = 5;
        int cols = 384;
        int group = Int4Layout.groupSize(type);
        float[] w = randomMatrix(rows, cols, 11);
        float[] back = roundTrip(type, w, rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols / group; g++) {
                float min = Float.MAX_VALUE;
                float max = -Float.MAX_VALUE;
                for (int i = 0; i < group; i++) {
                    min = Math.min(min, w[r * cols + g * group + i]);
                    max = Math.max(max, w[r * cols + g * group + i]);
                }
                double step = (max - min) / 15;
                for (int i = 0; i < group; i++) {
                    int e = r * cols + g * group + i;
                    assertTrue(Math.abs(back[e] - w[e]) <= step, type + " element " + e + ": " + w[e] + " -> " + back[e]);
                }
            }
        }
    }

    @Test
    void int4BeatsPlainMinMaxRounding() {
        int rows = 16;
        int cols = 256;
        float[] w = randomMatrix(rows, cols, 12);
        float[] back = roundTrip(TensorType.INT4_G32, w, rows, cols);
        double searched = 0;
        double plain = 0;
        for (int e0 = 0; e0 < w.length; e0 += 32) {
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int i = 0; i < 32; i++) {
                min = Math.min(min, w[e0 + i]);
                max = Math.max(max, w[e0 + i]);
            }
            float d = (max - min) / 15;
            for (int i = 0; i < 32; i++) {
                float q = Math.round((w[e0 + i] - min) / d);
                plain += Math.pow(q * d + min - w[e0 + i], 2);
                searched += Math.pow(back[e0 + i] - w[e0 + i], 2);
            }
        }
        assertTrue(searched < plain, "searched " + searched + " vs plain " + plain);
    }

    @Test
    void fp8RelativeErrorIsHalfAMantissaStep() {
        int rows = 7;
        int cols = 67;
        float[] w = randomMatrix(rows, cols, 13);
        float[] back = roundTrip(TensorType.FP8_E4M3, w, rows, cols);
        for (int r = 0; r < rows; r++) {
            float amax = 0;
            for (int c = 0; c < cols; c++) {
                amax = Math.max(amax, Math.abs(w[r * cols + c]));
            }
            double scale = amax / Fp8Layout.MAX;
            for (int c = 0; c < cols; c++) {
                int e = r * cols + c;
                // 3 mantissa bits: half a step is 2^-4 relative; subnormals step 2^-9 absolute (scaled)
                double bound = Math.abs(w[e]) * 0x1p-4 * 1.0001 + scale * 0x1p-10 + 1e-12;
                assertTrue(Math.abs(back[e] - w[e]) <= bound, "element " + e + ": " + w[e] + " -> " + back[e]);
            }
        }
    }

    @Test
    void fp8EncodeInvertsEveryFiniteCodeAndRoundsToEven() {
        for (int code = 0; code < 256; code++) {
            float v = Fp8Layout.value(code);
            if (!Float.isNaN(v) && code != 0x80) {
                assertEquals(code, Fp8Layout.encode(v), "code 0x" + Integer.toHexString(code));
            }
        }
        assertEquals(0x80, Fp8Layout.encode(-0.0f));
        // 1.0625 lies halfway between 1 (mantissa 0, even) and 1.125: ties go to the even mantissa
        assertEquals(0x38, Fp8Layout.encode(1.0625f));
        assertEquals(0x3A, Fp8Layout.encode(1.1875f)); // between 1.125 (odd) and 1.25 (even)
        assertEquals(0x7E, Fp8Layout.encode(1e9f));     // saturates at 448
        assertEquals(0xFE, Fp8Layout.encode(-470f));
        assertEquals(0x01, Fp8Layout.encode(0x1p-9f));  // smallest subnormal
        assertEquals(0x00, Fp8Layout.encode(0x1p-11f));
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q8_0", "Q4_0", "Q5_0", "Q4_K"})
    void ggmlTypesReconstructWithinTheirStep(TensorType type) {
        int rows = 3;
        int cols = 512;
        float[] w = randomMatrix(rows, cols, 14 + type.ordinal());
        float[] back = roundTrip(type, w, rows, cols);
        int levels = switch (type) {
            case Q8_0 -> 255;
            case Q5_0 -> 31;
            default -> 15;
        };
        for (int b = 0; b < w.length; b += 32) {
            float amax = 0;
            for (int i = 0; i < 32; i++) {
                amax = Math.max(amax, Math.abs(w[b + i]));
            }
            // Q4_K's scales are 6-bit fractions of the super-block's largest: allow a coarser step
            double step = 2 * amax / levels * (type == TensorType.Q4_K ? 1.6 : 1.0) + amax * 0x1p-10;
            for (int i = 0; i < 32; i++) {
                assertTrue(Math.abs(back[b + i] - w[b + i]) <= step, type + " element " + (b + i) + ": " + w[b + i]
                        + " -> " + back[b + i] + " (step " + step + ")");
            }
        }
    }

    @Test
    void rejectsColumnsThatAreNotWholeBlocks() {
        assertThrows(IllegalArgumentException.class, () -> WeightQuantizer.quantize(TensorType.INT4_G128, new float[64 * 2], 2, 64));
        assertThrows(IllegalArgumentException.class, () -> WeightQuantizer.quantize(TensorType.Q4_K, new float[128], 1, 128));
        assertThrows(IllegalArgumentException.class, () -> WeightQuantizer.quantize(TensorType.Q2_K, new float[256], 1, 256));
    }
}
