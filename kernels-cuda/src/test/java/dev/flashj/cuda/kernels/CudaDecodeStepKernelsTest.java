package dev.flashj.cuda.kernels;

import dev.flashj.cuda.CudaTestSupport;
import dev.flashj.cuda.GpuKernelTest;
import dev.flashj.cuda.runtime.DeviceBuffer;
import dev.flashj.model.RopeStyle;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static dev.flashj.cuda.CudaTestSupport.assertClose;
import static dev.flashj.cuda.CudaTestSupport.randoms;
import static dev.flashj.cuda.CudaTestSupport.rounded;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The decode step's graph-invariant kernels, which read the position or key count from device memory: RoPE and
 * the K/V append against a float64 reference, decode attention against the reference for key counts below, at and
 * above the split boundaries of a cache planned for more keys. Each also gives the same bits as the kernel taking
 * the value as an argument (the session's graph and direct paths must agree exactly). Outputs and the split
 * partials are poisoned with NaN first, so a block past the plan that wrote, or a combine that read a slot it
 * should not, shows. Skips without a GPU.
 */
class CudaDecodeStepKernelsTest extends GpuKernelTest {
    /** The value at byte offset 8 of a small int buffer (other slots hold decoys). */
    private static DeviceBuffer deviceInt(int value) {
        return gpu.ints(new int[] {-7, 1 << 20, value, -1}, "device int");
    }

    @ParameterizedTest
    @EnumSource(CudaStorage.class)
    void ropeAtRotatesByThePositionInDeviceMemory(CudaStorage storage) {
        Random random = new Random(11);
        int heads = 5;  // e.g. 3 query heads and 2 key heads side by side
        int headDim = 10;
        int rotary = 8;
        int positions = 40;
        float[] cos = randoms(random, positions * rotary / 2, 1);
        float[] sin = randoms(random, positions * rotary / 2, 1);
        DeviceBuffer cosBuffer = gpu.floats(cos, "cos");
        DeviceBuffer sinBuffer = gpu.floats(sin, "sin");
        CudaOps ops = gpu.ops(storage);
        for (RopeStyle style : RopeStyle.values()) {
            for (int position : new int[] {0, 17, positions - 1}) {
                float[] x = rounded(storage, randoms(random, 3 + heads * headDim, 2));
                DeviceBuffer viaDevice = gpu.halves(storage, x, "x (position in device memory)");
                DeviceBuffer viaArgument = gpu.halves(storage, x, "x (position as argument)");
                long offset = 2L * 3;  // the heads start 3 elements in
                ops.ropeAt(viaDevice, offset, cosBuffer, sinBuffer, heads, headDim, rotary, deviceInt(position), 8, style);
                ops.rope(viaArgument, offset, cosBuffer, sinBuffer, 1, heads, (long) heads * headDim, headDim, rotary, position,
                        style);
                double[] expected = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    expected[i] = x[i];
                }
                for (int h = 0; h < heads; h++) {
                    int base = 3 + h * headDim;
                    for (int i = 0; i < rotary / 2; i++) {
                        int a = style == RopeStyle.INTERLEAVED ? 2 * i : i;
                        int b = style == RopeStyle.INTERLEAVED ? 2 * i + 1 : i + rotary / 2;
                        double c = cos[position * rotary / 2 + i];
                        double s = sin[position * rotary / 2 + i];
                        expected[base + a] = x[base + a] * c - x[base + b] * s;
                        expected[base + b] = x[base + a] * s + x[base + b] * c;
                    }
                }
                float[] actual = gpu.readHalves(storage, viaDevice, x.length);
                double[] tol = CudaTestSupport.tolerance(storage);
                String what = "rope_at " + style + " position " + position + " " + storage;
                assertClose(expected, actual, tol[0], tol[1], what);
                assertArrayEquals(gpu.readHalves(storage, viaArgument, x.length), actual, what + " vs rope");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CudaStorage.class)
    void kvAppendAtWritesOneRowOfEachCacheAtThePositionInDeviceMemory(CudaStorage storage) {
        Random random = new Random(12);
        int width = 37;
        int rows = 6;
        CudaOps ops = gpu.ops(storage);
        for (int position : new int[] {0, 4, rows - 1}) {
            float[] step = rounded(storage, randoms(random, 5 + 2 * width, 1));  // [5 other | key | value]
            DeviceBuffer stepBuffer = gpu.halves(storage, step, "step k/v");
            DeviceBuffer keyCache = gpu.poisonedHalves(storage, rows * width, "key cache");
            DeviceBuffer valueCache = gpu.poisonedHalves(storage, rows * width, "value cache");
            ops.kvAppendAt(stepBuffer, 2L * 5, stepBuffer, 2L * (5 + width), keyCache, valueCache, width, deviceInt(position), 8);
            float[] keys = gpu.readHalves(storage, keyCache, rows * width);
            float[] values = gpu.readHalves(storage, valueCache, rows * width);
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < width; i++) {
                    String where = "row " + r + " element " + i + " (position " + position + ", " + storage + ")";
                    if (r == position) {
                        assertEquals(step[5 + i], keys[r * width + i], "key " + where);
                        assertEquals(step[5 + width + i], values[r * width + i], "value " + where);
                    } else {
                        assertTrue(Float.isNaN(keys[r * width + i]), "key cache written outside the position: " + where);
                        assertTrue(Float.isNaN(values[r * width + i]), "value cache written outside the position: " + where);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} d={1} heads={2}/{3} cache={4}")
    @CsvSource({"F16, 64, 8, 2, 300", "BF16, 64, 4, 1, 1000", "F16, 128, 32, 8, 4097", "BF16, 128, 6, 3, 129"})
    void decodeAttentionAtPlansSplitsForTheKeyCountInDeviceMemory(CudaStorage storage, int d, int heads, int kvHeads,
                                                                  int maxKvLen) {
        Random random = new Random(maxKvLen * 31L + d);
        float[] q = rounded(storage, randoms(random, heads * d, 1));
        float[] k = rounded(storage, randoms(random, maxKvLen * kvHeads * d, 1));
        float[] v = rounded(storage, randoms(random, maxKvLen * kvHeads * d, 1));
        DeviceBuffer qBuffer = gpu.halves(storage, q, "q");
        DeviceBuffer kBuffer = gpu.halves(storage, k, "k");
        DeviceBuffer vBuffer = gpu.halves(storage, v, "v");
        double scale = 1 / Math.sqrt(d);
        int sms = gpu.device.multiprocessors();
        int partialFloats = (int) CudaOps.decodePartialFloats(heads, d, maxKvLen, sms);
        CudaOps ops = gpu.ops(storage);
        for (int kvLen : new int[] {1, 63, 64, 65, 128, maxKvLen / 2 + 1, maxKvLen - 1, maxKvLen}) {
            if (kvLen < 1 || kvLen > maxKvLen) {
                continue;
            }
            double[] expected = new double[heads * d];
            double[] expectedLse = new double[heads];
            CudaAttentionTest.reference(q, 0, 1, k, v, 0, kvLen, heads, kvHeads, d, scale, false, expected, expectedLse);
            DeviceBuffer out = gpu.poisonedHalves(storage, heads * d, "out");
            DeviceBuffer lse = gpu.poisonedFloats(heads, "lse");
            ops.decodeAttentionAt(qBuffer, 0, kBuffer, vBuffer, gpu.poisonedFloats(partialFloats, "partials"), out, 0, lse,
                    heads, kvHeads, d, deviceInt(kvLen), 8, maxKvLen, (float) scale);
            DeviceBuffer directOut = gpu.poisonedHalves(storage, heads * d, "direct out");
            DeviceBuffer directLse = gpu.poisonedFloats(heads, "direct lse");
            ops.decodeAttention(qBuffer, 0, kBuffer, vBuffer, gpu.poisonedFloats(partialFloats, "direct partials"), directOut, 0,
                    directLse, heads, kvHeads, d, kvLen, (float) scale);
            String what = "decode_at kv " + kvLen + " of " + maxKvLen + " (" + CudaOps.decodeSplits(kvLen, heads, sms) + " of "
                    + CudaOps.decodeSplits(maxKvLen, heads, sms) + " splits) " + storage;
            float[] actual = gpu.readHalves(storage, out, heads * d);
            float[] actualLse = gpu.stream.readFloats(lse, 0, heads);
            double[] tol = CudaTestSupport.tolerance(storage);
            assertClose(expected, actual, tol[0], tol[1] * 2, what + " out");
            assertClose(expectedLse, actualLse, 2e-3, 2e-3, what + " lse");
            assertArrayEquals(gpu.readHalves(storage, directOut, heads * d), actual, what + " out vs the direct kernel");
            assertArrayEquals(gpu.stream.readFloats(directLse, 0, heads), actualLse, what + " lse vs the direct kernel");
        }
    }
}
