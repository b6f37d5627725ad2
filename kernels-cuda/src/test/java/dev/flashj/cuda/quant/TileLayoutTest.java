package dev.flashj.cuda.quant;

import dev.flashj.quant.WeightQuantizer;
import dev.flashj.tensor.Fp8Layout;
import dev.flashj.tensor.Int4Layout;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The INT4 and FP8 device layouts: repacking is lossless (unpack(repack(w)) == w byte for byte), padding
 * is zero, and a float64 product walking the layout as the kernels do equals the row-major CPU reference
 * (odd rows, columns that are not a multiple of the chunk, 1-16 tokens).
 */
class TileLayoutTest {

    @ParameterizedTest(name = "{0} [{1}, {2}] x {3} tokens")
    @CsvSource({"INT4_G128, 37, 256, 1", "INT4_G128, 16, 384, 3", "INT4_G128, 5, 128, 16", "INT4_G32, 37, 96, 3",
            "INT4_G32, 1, 32, 1", "INT4_G32, 33, 160, 16"})
    void int4RoundTripAndKernelOrderProduct(TensorType type, int rows, int cols, int tokens) {
        Random random = new Random(rows * 131L + cols);
        float[] w = randoms(random, rows * cols);
        byte[] packed = WeightQuantizer.quantize(type, w, rows, cols);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment codes = arena.allocate(Int4TileLayout.codeBytes(rows, cols));
            MemorySegment params = arena.allocate(Int4TileLayout.paramBytes(type, rows, cols));
            Int4TileLayout.repack(type, MemorySegment.ofArray(packed), rows, cols, codes, params);
            assertArrayEquals(packed, Int4TileLayout.unpack(type, codes, params, rows, cols));

            float[] decoded = new float[rows * cols];
            Int4Layout.decode(type, MemorySegment.ofArray(packed), cols, 0, decoded, 0, rows * cols);
            float[] x = randoms(random, tokens * cols);
            double[] expected = TileKernelReference.rowMajor(decoded, rows, cols, x, tokens);
            double[] actual = TileKernelReference.int4(Int4Layout.groupSize(type), codes, params, rows, cols, x, tokens);
            assertClose(expected, actual, 1e-9);
        }
    }

    @ParameterizedTest(name = "[{0}, {1}] x {2} tokens")
    @CsvSource({"37, 256, 1", "16, 32, 3", "5, 100, 16", "33, 7, 3", "1, 1, 1"})
    void fp8RoundTripAndKernelOrderProduct(int rows, int cols, int tokens) {
        Random random = new Random(rows * 17L + cols);
        float[] w = randoms(random, rows * cols);
        byte[] packed = WeightQuantizer.quantize(TensorType.FP8_E4M3, w, rows, cols);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment codes = arena.allocate(Fp8TileLayout.codeBytes(rows, cols));
            MemorySegment scales = arena.allocate(Fp8TileLayout.scaleBytes(rows));
            Fp8TileLayout.repack(MemorySegment.ofArray(packed), rows, cols, codes, scales);
            assertArrayEquals(packed, Fp8TileLayout.unpack(codes, scales, rows, cols));

            float[] decoded = new float[rows * cols];
            // The CPU decoder rounds code * scale to float, hence the looser 1e-6 below (a misplaced byte moves ~1).
            Fp8Layout.decode(MemorySegment.ofArray(packed), cols, 0, decoded, 0, rows * cols);
            float[] x = randoms(random, tokens * cols);
            assertClose(TileKernelReference.rowMajor(decoded, rows, cols, x, tokens),
                    TileKernelReference.fp8(codes, scales, rows, cols, x, tokens), 1e-6);
        }
    }

    @Test
    void paddingIsZero() {
        int rows = 3;
        int cols = 96;
        float[] w = randoms(new Random(5), rows * cols);
        byte[] packed = WeightQuantizer.quantize(TensorType.INT4_G32, w, rows, cols);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment codes = arena.allocate(Int4TileLayout.codeBytes(rows, cols));
            MemorySegment params = arena.allocate(Int4TileLayout.paramBytes(TensorType.INT4_G32, rows, cols));
            Int4TileLayout.repack(TensorType.INT4_G32, MemorySegment.ofArray(packed), rows, cols, codes, params);
            assertEquals(16 * 128 / 2, codes.byteSize());
            int nonZeroPadding = 0;
            for (int r = 0; r < 16; r++) {
                for (int c = 0; c < 128; c++) {
                    long nibble = Int4TileLayout.nibbleIndex(rows, cols, r, c);
                    int b = codes.get(java.lang.foreign.ValueLayout.JAVA_BYTE, nibble / 2) & 0xFF;
                    int code = (nibble & 1) == 0 ? b & 0xF : b >>> 4;
                    if ((r >= rows || c >= cols) && code != 0) {
                        nonZeroPadding++;
                    }
                }
            }
            assertEquals(0, nonZeroPadding);
            for (int g = 0; g < 4; g++) {
                for (int r = 0; r < 16; r++) {
                    if (g >= 3 || r >= rows) {
                        assertEquals(0, params.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 4L * (g * 16 + r)),
                                "params of padding group " + g + " row " + r);
                    }
                }
            }
        }
    }

    @Test
    void badShapesAndSizesNameTheProblem() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment small = arena.allocate(16);
            IllegalArgumentException cols = assertThrows(IllegalArgumentException.class, () ->
                    Int4TileLayout.repack(TensorType.INT4_G128, small, 1, 96, small, small));
            assertEquals(true, cols.getMessage().contains("multiple of 128"), cols.getMessage());
            byte[] packed = WeightQuantizer.quantize(TensorType.FP8_E4M3, new float[64], 2, 32);
            IllegalArgumentException room = assertThrows(IllegalArgumentException.class, () ->
                    Fp8TileLayout.repack(MemorySegment.ofArray(packed), 2, 32, small, small));
            assertEquals(true, room.getMessage().contains("need"), room.getMessage());
        }
    }

    private static float[] randoms(Random random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextGaussian() * 0.5);
        }
        return a;
    }

    private static void assertClose(double[] expected, double[] actual, double relative) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], relative * (1 + Math.abs(expected[i])), "element " + i);
        }
    }
}
