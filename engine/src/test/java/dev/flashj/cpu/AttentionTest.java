package dev.flashj.cpu;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AttentionTest {

    /** Causal GQA in float64, straight from the definition. */
    private static double[] reference(float[] q, int count, int first, float[] keys, float[] values,
                                      int numHeads, int numKvHeads, int headDim) {
        int qDim = numHeads * headDim;
        int kvDim = numKvHeads * headDim;
        int group = numHeads / numKvHeads;
        double[] out = new double[count * qDim];
        for (int t = 0; t < count; t++) {
            int pos = first + t;
            for (int h = 0; h < numHeads; h++) {
                int g = h / group;
                double[] s = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int p = 0; p <= pos; p++) {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) {
                        dot += (double) q[t * qDim + h * headDim + d] * keys[p * kvDim + g * headDim + d];
                    }
                    s[p] = dot / Math.sqrt(headDim);
                    max = Math.max(max, s[p]);
                }
                double sum = 0;
                for (int p = 0; p <= pos; p++) {
                    s[p] = Math.exp(s[p] - max);
                    sum += s[p];
                }
                for (int p = 0; p <= pos; p++) {
                    for (int d = 0; d < headDim; d++) {
                        out[t * qDim + h * headDim + d] += s[p] / sum * values[p * kvDim + g * headDim + d];
                    }
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "heads {0}/{1} headDim {2} count {3} prefix {4} threads {5}")
    @CsvSource({
            "6, 6, 13, 5, 0, 1",    // MHA, ratio 1
            "6, 3, 8, 7, 4, 2",     // ratio 2
            "8, 2, 17, 9, 11, 3",   // ratio 4
            "8, 1, 16, 4, 0, 2",    // MQA
            "16, 2, 7, 3, 29, 4",   // ratio 8
            "5, 1, 33, 1, 40, 2",   // MQA, decode step after a long prefix
            "4, 4, 64, 12, 3, 1",
    })
    void matchesFloat64Reference(int numHeads, int numKvHeads, int headDim, int count, int prefix, int threadCount) {
        Random rnd = new Random(numHeads * 1000L + numKvHeads * 100L + headDim + count + prefix);
        int qDim = numHeads * headDim;
        int kvDim = numKvHeads * headDim;
        int maxTokens = prefix + count + 3;
        float[] q = new float[count * qDim];
        float[] keys = new float[maxTokens * kvDim];
        float[] values = new float[maxTokens * kvDim];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) (rnd.nextGaussian() * 2);
        }
        for (int i = 0; i < (prefix + count) * kvDim; i++) {
            keys[i] = (float) rnd.nextGaussian();
            values[i] = (float) rnd.nextGaussian();
        }
        // Positions past the last query must not be read: poison them.
        Arrays.fill(keys, (prefix + count) * kvDim, keys.length, Float.NaN);
        Arrays.fill(values, (prefix + count) * kvDim, values.length, Float.NaN);
        float[] out = new float[count * qDim];
        Arrays.fill(out, Float.NaN);
        try (CpuThreads threads = new CpuThreads(threadCount)) {
            Attention attention = new Attention(numHeads, numKvHeads, headDim, maxTokens, threads.size());
            attention.run(threads, q, count, prefix, keys, values, 0, out);
            double[] ref = reference(q, count, prefix, keys, values, numHeads, numKvHeads, headDim);
            for (int i = 0; i < out.length; i++) {
                assertEquals(ref[i], out[i], 1e-5 * (1 + Math.abs(ref[i])), "element " + i);
            }
            // Again, over output already filled: the result must not depend on what was there.
            Arrays.fill(out, 123f);
            attention.run(threads, q, count, prefix, keys, values, 0, out);
            for (int i = 0; i < out.length; i++) {
                assertEquals(ref[i], out[i], 1e-5 * (1 + Math.abs(ref[i])), "element " + i);
            }
        }
    }
}
