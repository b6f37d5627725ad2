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

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The kernels' lane-level arithmetic, emulated on the CPU by {@link WarpEmulator}: the E4M3 and INT4 bit tricks
 * exhaustively, and whole tile GEMVs and W8A8 GEMMs (both the e4m3 mma and the fp16 fallback route) against float64
 * references on odd shapes. A failure here is a bug in the kernels' index arithmetic, found without a GPU.
 */
class WarpEmulationTest {

    @Test
    void e4m3BitTrickIsExactForEveryFiniteCode() {
        for (int code = 0; code < 256; code++) {
            if ((code & 0x7F) == 0x7F) {
                continue;  // NaN: never stored
            }
            int other = (code * 37 + 11) & 0x7E;
            int word = code | other << 8 | (other ^ 0x80) << 16 | code << 24;
            int low = WarpEmulator.e4m3PairToHalf2(word, 0x4140);
            int high = WarpEmulator.e4m3PairToHalf2(word, 0x4342);
            assertEquals(Fp8Layout.value(code), WarpEmulator.half(low), "code " + code + " (byte 0)");
            assertEquals(Fp8Layout.value(other), WarpEmulator.half(low >>> 16), "code " + other + " (byte 1)");
            assertEquals(Fp8Layout.value(other ^ 0x80), WarpEmulator.half(high), "code " + (other ^ 0x80) + " (byte 2)");
            assertEquals(Fp8Layout.value(code), WarpEmulator.half(high >>> 16), "code " + code + " (byte 3)");
        }
    }

    @Test
    void int4MagicGivesTheCodes() {
        int one = Float.floatToFloat16(1f) & 0xFFFF;
        for (int code = 0; code < 16; code++) {
            int other = 15 - code;
            for (int pair = 0; pair < 4; pair++) {
                int word = code << (4 * pair) | other << (4 * pair + 16);
                int result = WarpEmulator.int4Pair(word, pair, one, 0);
                assertEquals(code, WarpEmulator.half(result), 0f);
                assertEquals(other, WarpEmulator.half(result >>> 16), 0f);
            }
        }
    }

    @ParameterizedTest(name = "{0}: [{1}, {2}] x {3} tokens")
    @CsvSource({"INT4_G128, 33, 256, 1", "INT4_G128, 17, 384, 11", "INT4_G32, 37, 96, 3", "INT4_G32, 16, 160, 16",
            "FP8_E4M3, 17, 100, 3", "FP8_E4M3, 40, 64, 9", "FP8_E4M3, 5, 7, 1"})
    void tileGemvMatchesReference(TensorType type, int rows, int cols, int tokens) {
        Random random = new Random(rows * 7L + cols * 3L + tokens);
        float[] w = gaussians(random, rows * cols, 0.5);
        byte[] packed = WeightQuantizer.quantize(type, w, rows, cols);
        float[] decoded = new float[rows * cols];
        short[] x = new short[tokens * cols];
        float[] xValues = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = Float.floatToFloat16((float) random.nextGaussian());
            xValues[i] = Float.float16ToFloat(x[i]);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tiles;
            MemorySegment params;
            int group;
            if (type == TensorType.FP8_E4M3) {
                Fp8Layout.decode(MemorySegment.ofArray(packed), cols, 0, decoded, 0, rows * cols);
                tiles = arena.allocate(Fp8TileLayout.codeBytes(rows, cols));
                params = arena.allocate(Fp8TileLayout.scaleBytes(rows));
                Fp8TileLayout.repack(MemorySegment.ofArray(packed), rows, cols, tiles, params);
                group = 0;
            } else {
                Int4Layout.decode(type, MemorySegment.ofArray(packed), cols, 0, decoded, 0, rows * cols);
                tiles = arena.allocate(Int4TileLayout.codeBytes(rows, cols));
                params = arena.allocate(Int4TileLayout.paramBytes(type, rows, cols));
                Int4TileLayout.repack(type, MemorySegment.ofArray(packed), rows, cols, tiles, params);
                group = Int4Layout.groupSize(type);
            }
            double[] expected = TileKernelReference.rowMajor(decoded, rows, cols, xValues, tokens);
            float[] actual = WarpEmulator.tileGemv(group, tiles, params, rows, cols, x, tokens);
            // INT4 weights pass through fp16 in the kernel: about 2^-11 relative per weight.
            double tolerance = (type == TensorType.FP8_E4M3 ? 1e-5 : 2e-3) * Math.sqrt(cols);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], tolerance, type + " output " + i);
            }
        }
    }

    @ParameterizedTest(name = "W8A8 m={0} n={1} k={2} fallback={3}")
    @CsvSource({"1, 37, 100, false", "19, 16, 64, false", "33, 40, 7, true", "19, 16, 64, true"})
    void fp8GemmMatchesReference(int m, int n, int k, boolean fallback) {
        Random random = new Random(m * 5L + n + k);
        byte[] packed = WeightQuantizer.quantize(TensorType.FP8_E4M3, gaussians(random, n * k, 0.5), n, k);
        float[] w = new float[n * k];
        Fp8Layout.decode(MemorySegment.ofArray(packed), k, 0, w, 0, n * k);
        int paddedK = Fp8TileLayout.paddedCols(k);
        byte[] xq = new byte[m * paddedK];
        float[] xScale = new float[m];
        for (int t = 0; t < m; t++) {
            xScale[t] = (float) (0.01 + random.nextDouble());
            for (int i = 0; i < k; i++) {
                xq[t * paddedK + i] = (byte) Fp8Layout.encode((float) (random.nextGaussian() * 100));
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tiles = arena.allocate(Fp8TileLayout.codeBytes(n, k));
            MemorySegment scales = arena.allocate(Fp8TileLayout.scaleBytes(n));
            Fp8TileLayout.repack(MemorySegment.ofArray(packed), n, k, tiles, scales);
            float[] actual = WarpEmulator.fp8Gemm(xq, xScale, tiles, scales, m, n, paddedK, fallback);
            for (int t = 0; t < m; t++) {
                for (int r = 0; r < n; r++) {
                    double sum = 0;
                    for (int i = 0; i < k; i++) {
                        sum += (double) Fp8Layout.value(xq[t * paddedK + i]) * w[r * k + i];
                    }
                    double expected = sum * xScale[t];
                    assertEquals(expected, actual[t * n + r], 1e-5 * (1 + Math.abs(expected)) * Math.sqrt(k), "out " + t + ", " + r);
                }
            }
        }
    }

    private static float[] gaussians(Random random, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextGaussian() * scale);
        }
        return a;
    }
}
