package dev.flashj.kv;

import dev.flashj.FlashjException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The eviction policies' choices against plain reference implementations. */
class EvictionSelectionTest {

    /** A one-layer sequence of n random keys (values zero) in blocks of {@code blockSize}; returns keys too. */
    private static PagedSequence randomSequence(Random rnd, KvLayout layout, int n, float[] keysOut) {
        BlockPool pool = new BlockPool(layout, KvBudget.tokens(n + layout.blockSize()));
        PagedSequence seq = new PagedSequence(pool);
        assertTrue(seq.reserve(n).granted());
        for (int i = 0; i < keysOut.length; i++) {
            keysOut[i] = (float) (rnd.nextGaussian() * 1.7);
        }
        for (int l = 0; l < layout.numLayers(); l++) {
            seq.append(l, keysOut, new float[keysOut.length], 0, n);
        }
        return seq;
    }

    /**
     * SnapKV as the paper's code does it, in float64 and without shortcuts: the full causal attention
     * matrix of every query head, its last w rows summed over the prefix columns, summed over each KV
     * head's query group, pooled, then the top budget - w prefix entries by a full sort, plus the window.
     */
    private static int[][] snapKvReference(float[] keys, float[] queries, int n, int w, int budget, int heads,
                                           int kvHeads, int headDim, int kernel, EvictionPolicy.Pooling pooling) {
        int kvDim = kvHeads * headDim;
        int qDim = heads * headDim;
        int prefix = n - w;
        double[][] votes = new double[kvHeads][prefix];
        for (int h = 0; h < heads; h++) {
            int g = h / (heads / kvHeads);
            double[][] att = new double[n][n];
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) {
                        dot += (double) queries[i * qDim + h * headDim + d] * keys[j * kvDim + g * headDim + d];
                    }
                    att[i][j] = dot / Math.sqrt(headDim);
                    max = Math.max(max, att[i][j]);
                }
                double sum = 0;
                for (int j = 0; j <= i; j++) {
                    att[i][j] = Math.exp(att[i][j] - max);
                    sum += att[i][j];
                }
                for (int j = 0; j <= i; j++) {
                    att[i][j] /= sum;
                }
            }
            for (int i = n - w; i < n; i++) {
                for (int j = 0; j < prefix; j++) {
                    votes[g][j] += att[i][j];
                }
            }
        }
        int[][] kept = new int[kvHeads][];
        for (int g = 0; g < kvHeads; g++) {
            double[] pooled = new double[prefix];
            for (int j = 0; j < prefix; j++) {
                double acc = pooling == EvictionPolicy.Pooling.MAX ? Double.NEGATIVE_INFINITY : 0;
                for (int o = -kernel / 2; o <= kernel / 2; o++) {
                    if (j + o >= 0 && j + o < prefix) {
                        acc = pooling == EvictionPolicy.Pooling.MAX ? Math.max(acc, votes[g][j + o]) : acc + votes[g][j + o];
                    }
                }
                pooled[j] = pooling == EvictionPolicy.Pooling.MAX ? acc : acc / kernel;
            }
            List<Integer> order = new ArrayList<>();
            for (int j = 0; j < prefix; j++) {
                order.add(j);
            }
            order.sort(Comparator.<Integer>comparingDouble(j -> -pooled[j]).thenComparingInt(j -> j));
            int[] top = order.subList(0, budget - w).stream().mapToInt(Integer::intValue).sorted().toArray();
            int[] all = Arrays.copyOf(top, budget);
            for (int i = 0; i < w; i++) {
                all[budget - w + i] = prefix + i;
            }
            kept[g] = all;
        }
        return kept;
    }

    @ParameterizedTest(name = "n {0} w {1} budget {2} heads {3}/{4} block {5} {6}")
    @CsvSource({
            "97, 7, 40, 6, 2, 5, MAX",
            "97, 7, 40, 6, 2, 5, AVG",
            "61, 32, 45, 4, 4, 16, MAX",
            "130, 16, 33, 8, 1, 1, AVG",
            "50, 1, 2, 3, 3, 7, MAX",
    })
    void snapKvKeepsWhatThePlainReferenceKeeps(int n, int w, int budget, int heads, int kvHeads, int blockSize,
                                              EvictionPolicy.Pooling pooling) {
        Random rnd = new Random(n * 31L + w + budget + pooling.ordinal());
        int headDim = 6;
        KvLayout layout = new KvLayout(1, kvHeads, headDim, blockSize);
        float[] keys = new float[n * layout.kvDim()];
        PagedSequence seq = randomSequence(rnd, layout, n, keys);
        float[] queries = new float[n * heads * headDim];
        for (int i = 0; i < queries.length; i++) {
            queries[i] = (float) rnd.nextGaussian();
        }
        float[] window = Arrays.copyOfRange(queries, (n - w) * heads * headDim, n * heads * headDim);
        double[][] scores = new ObservationScores().compute(seq, 0, window, w, heads);
        int[][] kept = KeptEntries.snapKv(scores, n, w, budget, 5, pooling);
        int[][] expected = snapKvReference(keys, queries, n, w, budget, heads, kvHeads, headDim, 5, pooling);
        for (int g = 0; g < kvHeads; g++) {
            assertArrayEquals(expected[g], kept[g], "KV head " + g);
        }
        // Heads choose differently (the test is not vacuous for several heads).
        if (kvHeads > 1) {
            assertTrue(!Arrays.equals(kept[0], kept[1]), "heads 0 and 1 kept the same entries");
        }
        // Through the evictor: the sequence is compacted to these entries per head.
        KvEvictor evictor = new KvEvictor(new EvictionPolicy.SnapKv(budget, w, 5, pooling), heads, 1);
        EvictionReport report = evictor.apply(seq, layer -> window, w, false).orElseThrow();
        assertEquals(budget, report.entriesAfter()[0]);
        assertEquals(budget, seq.entries(0));
        assertTrue(report.bytesAfter() <= report.bytesBefore());
        for (int g = 0; g < kvHeads; g++) {
            for (int j = 0; j < budget; j++) {
                int id = seq.table(0).block(j / blockSize);
                float got = seq.pool().keys(id)[seq.pool().offset(id) + (j % blockSize) * layout.kvDim() + g * headDim];
                assertEquals(keys[expected[g][j] * layout.kvDim() + g * headDim], got, "head " + g + " entry " + j);
            }
        }
        seq.close();
    }

    /** PrefixKV's budgets by enumeration: every candidate threshold, the largest that fits, then the leftovers. */
    private static int[] prefixKvReference(double[][] cum, long budget) {
        List<Double> candidates = new ArrayList<>();
        candidates.add(0.0);
        for (double[] c : cum) {
            for (double v : c) {
                candidates.add(v);
            }
        }
        double best = 0;
        for (double p : candidates) {
            long total = 0;
            for (double[] c : cum) {
                int k = 0;
                while (k < c.length - 1 && c[k] < p) {
                    k++;
                }
                total += k;
            }
            if (total <= budget && p > best) {
                best = p;
            }
        }
        int[] kept = new int[cum.length];
        long used = 0;
        List<double[]> rest = new ArrayList<>(); // {share, layer, rank}
        for (int l = 0; l < cum.length; l++) {
            int k = 0;
            while (k < cum[l].length - 1 && cum[l][k] < best) {
                k++;
            }
            kept[l] = k;
            used += k;
            for (int r = k; r < cum[l].length - 1; r++) {
                rest.add(new double[]{cum[l][r + 1] - cum[l][r], l, r});
            }
        }
        rest.sort(Comparator.<double[]>comparingDouble(e -> -e[0]).thenComparingDouble(e -> e[1]).thenComparingDouble(e -> e[2]));
        for (int i = 0; i < budget - used; i++) {
            kept[(int) rest.get(i)[1]]++;
        }
        return kept;
    }

    @Test
    void prefixKvBudgetsSumToTheGlobalBudgetAndMatchTheReference() {
        Random rnd = new Random(77);
        for (int trial = 0; trial < 200; trial++) {
            int layers = 1 + rnd.nextInt(7);
            double[][] cum = new double[layers][];
            long all = 0;
            for (int l = 0; l < layers; l++) {
                int n = 1 + rnd.nextInt(120);
                double[] scores = new double[n];
                double sharp = 0.2 + 4 * rnd.nextDouble(); // layers differ in how peaked they are
                for (int i = 0; i < n; i++) {
                    scores[i] = Math.exp(sharp * rnd.nextGaussian());
                }
                cum[l] = PrefixKvBudgets.profile(scores, 0, n);
                all += n;
            }
            long budget = rnd.nextInt((int) all + 5);
            int[] kept = PrefixKvBudgets.allocate(cum, budget);
            assertEquals(Math.min(budget, all), Arrays.stream(kept).asLongStream().sum(), "trial " + trial);
            assertArrayEquals(prefixKvReference(cum, Math.min(budget, all)), kept, "trial " + trial);
        }
    }

    @Test
    void prefixKvGivesPeakedLayersFewerEntries() {
        double[] flat = new double[100];
        double[] peaked = new double[100];
        Arrays.fill(flat, 1);
        Arrays.fill(peaked, 0.001);
        for (int i = 0; i < 5; i++) {
            peaked[i * 20] = 10;
        }
        int[] kept = PrefixKvBudgets.allocate(new double[][]{
                PrefixKvBudgets.profile(flat, 0, 100), PrefixKvBudgets.profile(peaked, 0, 100)}, 100);
        assertEquals(100, kept[0] + kept[1]);
        assertTrue(kept[1] < 20 && kept[0] > 80, Arrays.toString(kept));
    }

    @Test
    void windowKeepsSinksAndRecent() {
        assertArrayEquals(new int[]{0, 1, 7, 8, 9}, KeptEntries.window(10, 2, 3));
        assertArrayEquals(new int[]{0, 1, 2}, KeptEntries.window(3, 2, 3));
        assertArrayEquals(new int[]{5, 6}, KeptEntries.window(7, 0, 2));
    }

    @Test
    void policiesParseFromCliOptions() {
        assertEquals(new EvictionPolicy.None(), EvictionPolicy.parse("none", null, null));
        assertEquals(new EvictionPolicy.Window(4, 60), EvictionPolicy.parse("window", 64, null));
        assertEquals(new EvictionPolicy.Window(16, 48), EvictionPolicy.parse("window", 64, 48));
        assertEquals(new EvictionPolicy.SnapKv(512, 32, 5, EvictionPolicy.Pooling.MAX), EvictionPolicy.parse("SnapKV", 512, null));
        assertEquals(new EvictionPolicy.SnapKv(512, 8, 5, EvictionPolicy.Pooling.MAX), EvictionPolicy.parse("snapkv", 512, 8));
        assertEquals(new EvictionPolicy.PrefixKv(512, 4, 32, Optional.empty()), EvictionPolicy.parse("prefixkv", 512, null));
        assertTrue(assertThrows(FlashjException.class, () -> EvictionPolicy.parse("snapkv", null, null))
                .getMessage().contains("--kv-budget"));
        assertTrue(assertThrows(FlashjException.class, () -> EvictionPolicy.parse("lru", 5, null))
                .getMessage().contains("unknown policy"));
        assertThrows(FlashjException.class, () -> EvictionPolicy.parse("snapkv", 8, 16));
    }

    @Test
    void profilesRoundTripAndBadFilesAreNamed(@TempDir Path dir) throws IOException {
        double[] a = PrefixKvBudgets.profile(new double[]{5, 1, 1, 3, 0.5}, 0, 5);
        double[] b = PrefixKvBudgets.profile(new double[]{1, 1, 1}, 0, 3);
        PrefixKvProfile profile = PrefixKvProfile.of(new double[][]{a, b});
        Path file = dir.resolve("p.txt");
        profile.save(file);
        PrefixKvProfile back = PrefixKvProfile.load(file);
        assertEquals(2, back.layers());
        double[] again = back.forEntries(0, 5);
        for (int k = 0; k <= 5; k++) {
            assertEquals(a[k], again[k], 1e-8);
        }
        Files.writeString(dir.resolve("bad.txt"), "flashj-prefixkv-profile v1\n0 0.5 x\n");
        var e = assertThrows(FlashjException.class, () -> PrefixKvProfile.load(dir.resolve("bad.txt")));
        assertTrue(e.getMessage().contains("bad.txt") && e.getMessage().contains("layer 0"), e.getMessage());
        Files.writeString(dir.resolve("hdr.txt"), "something else\n");
        assertThrows(FlashjException.class, () -> PrefixKvProfile.load(dir.resolve("hdr.txt")));
        assertThrows(FlashjException.class, () -> new KvEvictor(new EvictionPolicy.PrefixKv(10, 1, 2, Optional.of(file)), 2, 3));
    }
}
