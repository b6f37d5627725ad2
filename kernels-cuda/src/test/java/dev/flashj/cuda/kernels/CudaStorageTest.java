package dev.flashj.cuda.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaStorageTest {

    @Test
    void kernelNamesCarryTheType() {
        assertEquals("rmsnorm_f16", CudaStorage.F16.kernel("rmsnorm"));
        assertEquals("gemm_bf16", CudaStorage.BF16.kernel("gemm"));
    }

    /** bf16 keeps the top 16 bits of a float, rounded to nearest even: checked against exact arithmetic. */
    @Test
    void bf16RoundsToNearestEven() {
        Random random = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            float x = (float) ((random.nextDouble() * 2 - 1) * Math.pow(10, random.nextInt(12) - 6));
            float r = CudaStorage.BF16.round(x);
            int bits = Float.floatToRawIntBits(x);
            float down = Float.intBitsToFloat(bits & 0xffff0000);
            float up = Float.intBitsToFloat((bits & 0xffff0000) + 0x10000);
            double toDown = Math.abs((double) x - down);
            double toUp = Math.abs((double) up - x);
            float expected = toDown < toUp ? down : toUp < toDown ? up : ((bits >>> 16) & 1) == 0 ? down : up;
            assertEquals(expected, r, "bf16 of " + x);
        }
        assertTrue(Float.isNaN(CudaStorage.BF16.round(Float.NaN)));
        assertEquals(Float.POSITIVE_INFINITY, CudaStorage.BF16.round(Float.POSITIVE_INFINITY));
        assertEquals(1.0f, CudaStorage.BF16.round(1.0f));
    }

    @Test
    void f16IsIeeeHalf() {
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(0.1f)), CudaStorage.F16.round(0.1f));
        assertEquals(65504f, CudaStorage.F16.round(65504f));
    }

    /** Decode splits: enough blocks for two waves, never fewer than 64 keys a split, at least one. */
    @Test
    void decodeSplitsFillTheGpuButStayCoarse() {
        assertEquals(1, CudaOps.decodeSplits(1, 32, 132));
        assertEquals(1, CudaOps.decodeSplits(64, 32, 132));
        assertEquals(2, CudaOps.decodeSplits(65, 32, 132));
        assertEquals(9, CudaOps.decodeSplits(100_000, 32, 132));  // ceil(264 / 32)
        assertEquals(1, CudaOps.decodeSplits(100_000, 512, 132));
        assertEquals((long) 32 * 9 * 129, CudaOps.decodePartialFloats(32, 128, 100_000, 132));
    }
}
