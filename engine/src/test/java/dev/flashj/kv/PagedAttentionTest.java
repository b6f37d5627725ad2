package dev.flashj.kv;

import dev.flashj.cpu.CpuThreads;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class PagedAttentionTest {
    private static CpuThreads threads;

    @BeforeAll
    static void start() {
        threads = new CpuThreads(2);
    }

    @AfterAll
    static void stop() {
        threads.close();
    }

    /** A sequence's dense copy of what was appended: [layer][entry][kvDim]. */
    record Dense(float[][] keys, float[][] values) {
    }

    /**
     * 17 sequences with KV lengths up to 97 (one of them exactly 97), written in random chunks, are read
     * back through the block table by the paged kernel and compared with a dense float64 attention.
     * Output rows start poisoned (NaN) so a row the kernel skips fails.
     */
    @ParameterizedTest(name = "heads {0}/{1} headDim {2} block {3} slots {4} prefill {5}")
    @CsvSource({
            "6, 2, 8, 16, 2, false",
            "6, 2, 8, 1, 2, false",
            "6, 2, 8, 16, 64, false",
            "6, 2, 8, 1, 64, false",
            "4, 4, 5, 16, 64, false",
            "8, 1, 7, 3, 40, false",
            "6, 2, 8, 16, 2, true",
            "6, 2, 8, 1, 3, true",
            "4, 4, 5, 7, 64, true",
    })
    void matchesDenseFloat64Reference(int heads, int kvHeads, int headDim, int blockSize, int slots, boolean prefill) {
        Random rnd = new Random(heads * 1000L + blockSize * 10L + slots + (prefill ? 7 : 0));
        KvLayout layout = new KvLayout(1, kvHeads, headDim, blockSize);
        BlockPool pool = new BlockPool(layout, KvBudget.tokens(17 * 100));
        int kvDim = layout.kvDim();
        int qDim = heads * headDim;
        int batch = 17;
        List<PagedSequence> seqs = new ArrayList<>();
        List<BlockTable> tables = new ArrayList<>();
        int[] kvLen = new int[batch];
        int[] queries = new int[batch];
        float[][] keys = new float[batch][];
        float[][] values = new float[batch][];
        for (int s = 0; s < batch; s++) {
            kvLen[s] = s == 5 ? 97 : 1 + rnd.nextInt(97);
            queries[s] = prefill ? 1 + rnd.nextInt(Math.min(kvLen[s], 9)) : 1;
            keys[s] = gaussian(rnd, kvLen[s] * kvDim, 1.5);
            values[s] = gaussian(rnd, kvLen[s] * kvDim, 1.0);
            PagedSequence seq = new PagedSequence(pool);
            for (int done = 0; done < kvLen[s]; ) {
                int n = Math.min(kvLen[s] - done, 1 + rnd.nextInt(20));
                assertTrue(seq.reserve(n).granted());
                float[] k = new float[n * kvDim];
                float[] v = new float[n * kvDim];
                System.arraycopy(keys[s], done * kvDim, k, 0, n * kvDim);
                System.arraycopy(values[s], done * kvDim, v, 0, n * kvDim);
                seq.append(0, k, v, 0, n);
                done += n;
            }
            seqs.add(seq);
            tables.add(seq.table(0));
        }
        PagePlan plan = PagePlan.of(blockSize, queries, tables);
        float[] q = gaussian(rnd, plan.totalQueries() * qDim, 1.0);
        float[] out = new float[q.length];
        java.util.Arrays.fill(out, Float.NaN);
        PagedAttention attention = new PagedAttention(heads, kvHeads, headDim, slots);
        attention.run(threads, pool, plan, q, out);
        double worst = 0;
        for (int s = 0; s < batch; s++) {
            for (int t = 0; t < queries[s]; t++) {
                int row = plan.qoIndptr()[s] + t;
                int keyCount = kvLen[s] - queries[s] + t + 1;
                for (int h = 0; h < heads; h++) {
                    double[] ref = reference(q, row * qDim + h * headDim, keys[s], values[s], keyCount,
                            (h / (heads / kvHeads)) * headDim, kvDim, headDim);
                    for (int d = 0; d < headDim; d++) {
                        double diff = Math.abs(ref[d] - out[row * qDim + h * headDim + d]);
                        if (!(diff <= 2e-5)) {
                            fail("sequence " + s + " row " + t + " head " + h + " dim " + d + ": " + out[row * qDim + h * headDim + d]
                                    + " vs " + ref[d]);
                        }
                        worst = Math.max(worst, diff);
                    }
                }
            }
        }
        assertTrue(worst < 2e-5);
        for (PagedSequence seq : seqs) {
            seq.close();
        }
        assertTrue(pool.freeBlocks() == pool.capacityBlocks());
    }

    static float[] gaussian(Random rnd, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * scale);
        }
        return x;
    }

    /** softmax(q . K^T / sqrt(d)) V over the first keyCount entries, in float64. */
    static double[] reference(float[] q, int qOff, float[] keys, float[] values, int keyCount, int headOff,
                              int kvDim, int headDim) {
        double[] score = new double[keyCount];
        double max = Double.NEGATIVE_INFINITY;
        for (int p = 0; p < keyCount; p++) {
            double dot = 0;
            for (int d = 0; d < headDim; d++) {
                dot += (double) q[qOff + d] * keys[p * kvDim + headOff + d];
            }
            score[p] = dot / Math.sqrt(headDim);
            max = Math.max(max, score[p]);
        }
        double sum = 0;
        for (int p = 0; p < keyCount; p++) {
            score[p] = Math.exp(score[p] - max);
            sum += score[p];
        }
        double[] out = new double[headDim];
        for (int p = 0; p < keyCount; p++) {
            for (int d = 0; d < headDim; d++) {
                out[d] += score[p] / sum * values[p * kvDim + headOff + d];
            }
        }
        return out;
    }
}
