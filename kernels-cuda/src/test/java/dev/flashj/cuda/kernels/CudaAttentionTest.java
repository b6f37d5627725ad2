package dev.flashj.cuda.kernels;

import dev.flashj.cuda.CudaTestSupport;
import dev.flashj.cuda.GpuKernelTest;
import dev.flashj.cuda.runtime.DeviceBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.Random;

import static dev.flashj.cuda.CudaTestSupport.assertClose;
import static dev.flashj.cuda.CudaTestSupport.randoms;
import static dev.flashj.cuda.CudaTestSupport.rounded;

/**
 * Flash attention (packed ragged batches, causal and not, GQA/MQA, head_dim 64/128 on tensor cores and
 * others on the generic kernel) and split-KV decode attention against a float64 reference, with the
 * log-sum-exp checked too. Outputs are poisoned with NaN first.
 */
class CudaAttentionTest extends GpuKernelTest {
    /**
     * Plain attention for one sequence: out [qLen, heads, d], lse [qLen, heads]. Causal queries are aligned to
     * the end of the keys (query i sees keys j <= i + kLen - qLen).
     */
    static void reference(float[] q, int qStart, int qLen, float[] k, float[] v, int kStart, int kLen, int heads,
                          int kvHeads, int d, double scale, boolean causal, double[] out, double[] lse) {
        int group = heads / kvHeads;
        for (int i = 0; i < qLen; i++) {
            for (int h = 0; h < heads; h++) {
                int kvh = h / group;
                int visible = causal ? Math.min(kLen, i + 1 + kLen - qLen) : kLen;
                double[] s = new double[Math.max(visible, 0)];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) {
                        dot += (double) q[((qStart + i) * heads + h) * d + c] * k[((kStart + j) * kvHeads + kvh) * d + c];
                    }
                    s[j] = dot * scale;
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < visible; j++) {
                    sum += Math.exp(s[j] - max);
                }
                for (int c = 0; c < d; c++) {
                    double acc = 0;
                    for (int j = 0; j < visible; j++) {
                        acc += Math.exp(s[j] - max) * v[((kStart + j) * kvHeads + kvh) * d + c];
                    }
                    out[((qStart + i) * heads + h) * d + c] = visible > 0 ? acc / sum : 0;
                }
                lse[(qStart + i) * heads + h] = visible > 0 ? max + Math.log(sum) : Double.NEGATIVE_INFINITY;
            }
        }
    }

    @ParameterizedTest(name = "{0} d={1} heads={2}/{3} causal={4} q={5} k={6}")
    @CsvSource({
            "F16, 64, 8, 8, true, '17 70 1', '17 130 5'",
            "BF16, 64, 8, 2, false, '3 65', '100 65'",
            "F16, 128, 4, 1, true, '129 2', '129 300'",
            "BF16, 128, 6, 3, true, '64', '64'",
            "F16, 40, 4, 2, true, '9 33', '20 33'",
            "BF16, 8, 8, 4, false, '5 1', '7 3'",
            "F16, 96, 2, 2, true, '1 31', '77 31'"})
    void flashAttentionMatchesReference(CudaStorage storage, int d, int heads, int kvHeads, boolean causal, String qLens,
                                        String kLens) {
        int[] ql = Arrays.stream(qLens.split(" ")).mapToInt(Integer::parseInt).toArray();
        int[] kl = Arrays.stream(kLens.split(" ")).mapToInt(Integer::parseInt).toArray();
        int seqs = ql.length;
        int[] cuQ = new int[seqs + 1];
        int[] cuK = new int[seqs + 1];
        for (int b = 0; b < seqs; b++) {
            cuQ[b + 1] = cuQ[b] + ql[b];
            cuK[b + 1] = cuK[b] + kl[b];
        }
        int totalQ = cuQ[seqs];
        int totalK = cuK[seqs];
        Random random = new Random(d * 1000L + heads * 10L + totalQ);
        float[] q = rounded(storage, randoms(random, totalQ * heads * d, 1));
        float[] k = rounded(storage, randoms(random, totalK * kvHeads * d, 1));
        float[] v = rounded(storage, randoms(random, totalK * kvHeads * d, 1));
        double scale = 1 / Math.sqrt(d);
        double[] expected = new double[totalQ * heads * d];
        double[] expectedLse = new double[totalQ * heads];
        for (int b = 0; b < seqs; b++) {
            reference(q, cuQ[b], ql[b], k, v, cuK[b], kl[b], heads, kvHeads, d, scale, causal, expected, expectedLse);
        }
        DeviceBuffer out = gpu.poisonedHalves(storage, totalQ * heads * d, "out");
        DeviceBuffer lse = gpu.poisonedFloats(totalQ * heads, "lse");
        DeviceBuffer cuQBuffer = gpu.ints(cuQ, "cu_q");
        DeviceBuffer cuKBuffer = gpu.ints(cuK, "cu_k");
        gpu.ops(storage).flashAttention(gpu.halves(storage, q, "q"), 0, gpu.halves(storage, k, "k"), 0,
                gpu.halves(storage, v, "v"), 0, out, 0, lse, cuQBuffer, 0, cuKBuffer, 0, seqs, totalQ,
                Arrays.stream(ql).max().orElseThrow(), heads, kvHeads, d, (float) scale, causal);
        double[] tol = CudaTestSupport.tolerance(storage);
        assertClose(expected, gpu.readHalves(storage, out, expected.length), tol[0], tol[1] * 2, "flash out " + storage);
        assertClose(expectedLse, gpu.stream.readFloats(lse, 0, expectedLse.length), 2e-3, 2e-3, "flash lse " + storage);
    }

    @ParameterizedTest(name = "{0} d={1} heads={2}/{3} kv={4}")
    @CsvSource({"F16, 64, 8, 8, 1", "BF16, 64, 8, 2, 63", "F16, 128, 32, 8, 300", "BF16, 128, 4, 1, 1000",
            "F16, 128, 2, 2, 4097"})
    void decodeAttentionMatchesReference(CudaStorage storage, int d, int heads, int kvHeads, int kvLen) {
        Random random = new Random(kvLen * 13L + d);
        int capacity = kvLen + 5;  // cache rows past kvLen hold garbage that must be ignored
        float[] q = rounded(storage, randoms(random, heads * d, 1));
        float[] k = rounded(storage, randoms(random, capacity * kvHeads * d, 1));
        float[] v = rounded(storage, randoms(random, capacity * kvHeads * d, 1));
        for (int i = kvLen * kvHeads * d; i < k.length; i++) {
            k[i] = 1000;
            v[i] = 1000;
        }
        double scale = 1 / Math.sqrt(d);
        double[] expected = new double[heads * d];
        double[] expectedLse = new double[heads];
        reference(q, 0, 1, k, v, 0, kvLen, heads, kvHeads, d, scale, false, expected, expectedLse);
        DeviceBuffer out = gpu.poisonedHalves(storage, heads * d, "out");
        DeviceBuffer lse = gpu.poisonedFloats(heads, "lse");
        DeviceBuffer partial = gpu.poisonedFloats((int) CudaOps.decodePartialFloats(heads, d, kvLen, gpu.device.multiprocessors()),
                "partials");
        gpu.ops(storage).decodeAttention(gpu.halves(storage, q, "q"), 0, gpu.halves(storage, k, "k"),
                gpu.halves(storage, v, "v"), partial, out, 0, lse, heads, kvHeads, d, kvLen, (float) scale);
        double[] tol = CudaTestSupport.tolerance(storage);
        assertClose(expected, gpu.readHalves(storage, out, expected.length), tol[0], tol[1] * 2, "decode out " + storage);
        assertClose(expectedLse, gpu.stream.readFloats(lse, 0, heads), 2e-3, 2e-3, "decode lse " + storage);
    }
}
