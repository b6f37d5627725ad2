package dev.flashj.cuda.kernels;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The split-KV plan of a decode step replayed as a CUDA graph (pure Java, runs without a GPU): the grid is sized
 * once for the session's longest cache, and the kernels re-plan on the device for the current key count with
 * {@link CudaOps#decodeSplitsWithin}. That must be exactly the plan the direct path makes for that key count (or
 * the two paths would sum in different orders), fit the grid and the partial buffer, and cover every key once.
 */
class DecodeSplitPlanTest {

    @Test
    void thePlanWithinTheLongestCacheIsTheDirectPlan() {
        int checked = 0;
        for (int multiprocessors : new int[] {1, 46, 108, 132, 144}) {
            for (int heads : new int[] {1, 4, 6, 32, 64, 128}) {
                for (int maxKvLen : new int[] {1, 63, 64, 65, 300, 2048, 4097}) {
                    int maxSplits = CudaOps.decodeSplits(maxKvLen, heads, multiprocessors);
                    for (int kvLen = 1; kvLen <= maxKvLen; kvLen++) {
                        int direct = CudaOps.decodeSplits(kvLen, heads, multiprocessors);
                        int onDevice = CudaOps.decodeSplitsWithin(kvLen, maxSplits);
                        String what = "kv " + kvLen + " of " + maxKvLen + ", " + heads + " heads, " + multiprocessors + " SMs";
                        assertEquals(direct, onDevice, what);
                        assertTrue(onDevice >= 1 && onDevice <= maxSplits, what + ": " + onDevice + " splits, grid " + maxSplits);
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 100_000, checked + " plans");
    }

    @Test
    void everyKeyIsInExactlyOneSplitAndThePartialsFit() {
        int multiprocessors = 132;
        for (int heads : new int[] {1, 4, 32}) {
            int headDim = 64;
            int maxKvLen = 4097;
            int maxSplits = CudaOps.decodeSplits(maxKvLen, heads, multiprocessors);
            assertTrue(CudaOps.decodePartialFloats(heads, headDim, maxKvLen, multiprocessors) >= (long) heads * maxSplits * (headDim + 1),
                    "partials for " + heads + " heads");
            for (int kvLen = 1; kvLen <= maxKvLen; kvLen++) {
                int splits = CudaOps.decodeSplitsWithin(kvLen, maxSplits);
                int chunk = (kvLen + splits - 1) / splits;  // as the kernel computes it
                int covered = 0;
                for (int split = 0; split < splits; split++) {
                    int begin = split * chunk;
                    int end = Math.min(kvLen, begin + chunk);
                    covered += Math.max(0, end - begin);
                    assertTrue(begin < kvLen, "split " + split + " of " + splits + " starts past kv " + kvLen);
                }
                assertEquals(kvLen, covered, "keys covered at kv " + kvLen + " with " + splits + " splits of " + chunk);
            }
        }
    }
}
