package dev.flashj.opencl.kernels;

import dev.flashj.kv.PagePlan;
import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClQueue;
import dev.flashj.opencl.runtime.OpenCl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static dev.flashj.opencl.OpenClTestSupport.assertClose;
import static dev.flashj.opencl.OpenClTestSupport.openOrSkip;
import static dev.flashj.opencl.OpenClTestSupport.randoms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity of the paged KV kernels with plain float64 references on random shapes: odd head sizes, GQA
 * ratios, ragged sequence lengths that end on and off page boundaries, pages of 1 to 16 entries drawn
 * in random order from a pool. Outputs are poisoned with NaN first.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PagedKvOpsTest {
    private static final int MAX_HEAD_DIM = 64;

    private OpenCl cl;
    private ClContext context;
    private ClQueue queue;
    private PagedKvOps ops;
    private final List<ClBuffer> buffers = new ArrayList<>();

    @BeforeAll
    void open() {
        cl = openOrSkip();
        context = cl.createContext(cl.devices().getFirst());
        queue = context.createQueue();
        ops = new PagedKvOps(context, queue, MAX_HEAD_DIM);
        System.out.println("paged tiling on " + context.device().describe() + ": " + ops.tiling());
    }

    @AfterAll
    void close() {
        buffers.forEach(ClBuffer::close);
        if (ops != null) {
            ops.close();
        }
        if (queue != null) {
            queue.close();
        }
        if (context != null) {
            context.close();
        }
        if (cl != null) {
            cl.close();
        }
    }

    private ClBuffer upload(float[] data) {
        ClBuffer b = context.createBuffer(4L * Math.max(1, data.length), "test floats");
        buffers.add(b);
        queue.writeFloats(b, 0, data);
        return b;
    }

    private ClBuffer upload(int[] data) {
        ClBuffer b = context.createBuffer(4L * Math.max(1, data.length), "test ints");
        buffers.add(b);
        queue.writeInts(b, 0, data);
        return b;
    }

    private ClBuffer poisoned(int floats) {
        ClBuffer b = context.createBuffer(4L * Math.max(1, floats), "test output");
        buffers.add(b);
        queue.fill(b, Float.NaN);
        return b;
    }

    /** A pool of random keys and values and sequences of ragged lengths on pages drawn from it in random order. */
    private record Pool(int pageSize, int kvHeads, int headDim, float[] keys, float[] values, PagePlan plan) {
        int kvDim() {
            return kvHeads * headDim;
        }

        int row(int s, int entry) {
            return plan.indices()[plan.indptr()[s] + entry / pageSize] * pageSize + entry % pageSize;
        }
    }

    private static Pool pool(Random rnd, int pageSize, int kvHeads, int headDim, int[] kvLens, int[] queries) {
        int batch = kvLens.length;
        int[] indptr = new int[batch + 1];
        int[] last = new int[batch];
        int[] qo = new int[batch + 1];
        for (int s = 0; s < batch; s++) {
            int pages = (kvLens[s] + pageSize - 1) / pageSize;
            indptr[s + 1] = indptr[s] + pages;
            last[s] = kvLens[s] == 0 ? 0 : (kvLens[s] - 1) % pageSize + 1;
            qo[s + 1] = qo[s] + queries[s];
        }
        int blocks = indptr[batch] + 3; // a few blocks nobody uses
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < blocks; i++) {
            ids.add(i);
        }
        Collections.shuffle(ids, rnd);
        int[] indices = new int[indptr[batch]];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = ids.get(i);
        }
        int floats = blocks * pageSize * kvHeads * headDim;
        return new Pool(pageSize, kvHeads, headDim, randoms(rnd, floats, 1f), randoms(rnd, floats, 1f),
                new PagePlan(pageSize, qo, indptr, indices, last));
    }

    private DevicePagePlan devicePlan(PagePlan plan) {
        int[] packed = new int[DevicePagePlan.packedLength(plan) + 5];
        int base = 5; // a nonzero offset, as sessions pack several plans in one buffer
        ClBuffer ints = context.createBuffer(4L * packed.length, "test plan");
        buffers.add(ints);
        DevicePagePlan p = DevicePagePlan.pack(plan, packed, base, ints);
        queue.writeInts(ints, 0, packed);
        return p;
    }

    /** Causal attention of query row {@code row} (sequence {@code s}, query {@code t} of its {@code n}) in float64. */
    private static double[] reference(Pool pool, float[] q, int heads, int s, int row, int t, int n) {
        int hd = pool.headDim();
        int group = heads / pool.kvHeads();
        int kvLen = pool.plan().kvLength(s);
        int visible = kvLen - n + t + 1;
        double scale = 1 / Math.sqrt(hd);
        double[] out = new double[heads * hd];
        for (int h = 0; h < heads; h++) {
            int g = h / group;
            double[] score = new double[visible];
            double max = Double.NEGATIVE_INFINITY;
            for (int p = 0; p < visible; p++) {
                int k = pool.row(s, p) * pool.kvDim() + g * hd;
                double dot = 0;
                for (int d = 0; d < hd; d++) {
                    dot += (double) q[(row * heads + h) * hd + d] * pool.keys()[k + d];
                }
                score[p] = dot * scale;
                max = Math.max(max, score[p]);
            }
            double sum = 0;
            for (int p = 0; p < visible; p++) {
                score[p] = Math.exp(score[p] - max);
                sum += score[p];
            }
            for (int p = 0; p < visible; p++) {
                int v = pool.row(s, p) * pool.kvDim() + g * hd;
                for (int d = 0; d < hd; d++) {
                    out[h * hd + d] += score[p] / sum * pool.values()[v + d];
                }
            }
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({
            "4, 4, 16, 16, '40,1,17', '40,1,5'",
            "6, 2, 13, 7, '29,64,3', '29,9,3'",
            "5, 1, 33, 3, '100,2', '71,2'",
            "3, 3, 8, 1, '19,6', '19,1'",
            "8, 2, 64, 16, '300', '130'"})
    void prefillMatchesReference(int heads, int kvHeads, int headDim, int pageSize, String lens, String news) {
        Random rnd = new Random(heads * 31L + headDim);
        int[] kvLens = parse(lens);
        int[] queries = parse(news);
        Pool pool = pool(rnd, pageSize, kvHeads, headDim, kvLens, queries);
        int rows = pool.plan().totalQueries();
        float[] q = randoms(rnd, rows * heads * headDim, 1f);
        ClBuffer out = poisoned(rows * heads * headDim);
        ops.prefill(upload(q), upload(pool.keys()), upload(pool.values()), out, devicePlan(pool.plan()), heads, kvHeads,
                headDim, (float) (1 / Math.sqrt(headDim)));
        float[] got = queue.readFloats(out, 0, rows * heads * headDim);
        for (int s = 0; s < kvLens.length; s++) {
            for (int t = 0; t < queries[s]; t++) {
                int row = pool.plan().qoIndptr()[s] + t;
                assertClose(reference(pool, q, heads, s, row, t, queries[s]), got, row * heads * headDim, 2e-5, 2e-4,
                        "prefill sequence " + s + " query " + t);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({
            "4, 4, 16, 16, '1,16,17,40,33'",
            "6, 2, 13, 7, '7,8,70,1,3'",
            "5, 1, 33, 3, '2,1000,31'",
            "2, 2, 64, 1, '1,2,2100'",
            "8, 2, 64, 16, '2049'"})
    void splitDecodeMatchesReference(int heads, int kvHeads, int headDim, int pageSize, String lens) {
        Random rnd = new Random(heads * 17L + headDim + pageSize);
        int[] kvLens = parse(lens);
        int[] queries = new int[kvLens.length];
        java.util.Arrays.fill(queries, 1);
        Pool pool = pool(rnd, pageSize, kvHeads, headDim, kvLens, queries);
        int batch = kvLens.length;
        float[] q = randoms(rnd, batch * heads * headDim, 1f);
        ClBuffer out = poisoned(batch * heads * headDim);
        int maxKv = java.util.Arrays.stream(kvLens).max().orElseThrow();
        ClBuffer partial = poisoned((int) PagedKvOps.decodePartialFloats(batch, heads, headDim, maxKv, pageSize));
        DevicePagePlan plan = devicePlan(pool.plan());
        int perSplit = ops.pagesPerSplit(plan, heads);
        assertTrue(perSplit >= 1 && perSplit * pageSize <= ops.maxDecodeChunk(), "pages per split " + perSplit);
        ops.decode(upload(q), upload(pool.keys()), upload(pool.values()), partial, out, plan, heads, kvHeads, headDim,
                (float) (1 / Math.sqrt(headDim)));
        float[] got = queue.readFloats(out, 0, batch * heads * headDim);
        for (int s = 0; s < batch; s++) {
            assertClose(reference(pool, q, heads, s, s, 0, 1), got, s * heads * headDim, 2e-5, 2e-4,
                    "decode sequence " + s + " of " + kvLens[s] + " entries");
        }
    }

    @Test
    void appendWritesExactlyTheGivenRows() {
        Random rnd = new Random(5);
        int kvDim = 3 * 11;
        int poolRows = 50;
        int count = 13;
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < poolRows; i++) {
            all.add(i);
        }
        Collections.shuffle(all, rnd);
        int[] packed = new int[3 + count];
        for (int t = 0; t < count; t++) {
            packed[3 + t] = all.get(t);
        }
        float[] k = randoms(rnd, (count + 2) * kvDim, 1f);
        float[] v = randoms(rnd, (count + 2) * kvDim, 1f);
        ClBuffer kPool = poisoned(poolRows * kvDim);
        ClBuffer vPool = poisoned(poolRows * kvDim);
        int srcOff = 2 * kvDim;
        ops.append(upload(k), upload(v), srcOff, upload(packed), 3, count, kvDim, kPool, vPool);
        float[] gotK = queue.readFloats(kPool, 0, poolRows * kvDim);
        float[] gotV = queue.readFloats(vPool, 0, poolRows * kvDim);
        boolean[] written = new boolean[poolRows];
        for (int t = 0; t < count; t++) {
            int row = packed[3 + t];
            written[row] = true;
            for (int e = 0; e < kvDim; e++) {
                assertEquals(k[srcOff + t * kvDim + e], gotK[row * kvDim + e], "key of token " + t);
                assertEquals(v[srcOff + t * kvDim + e], gotV[row * kvDim + e], "value of token " + t);
            }
        }
        for (int row = 0; row < poolRows; row++) {
            if (!written[row]) {
                assertTrue(Float.isNaN(gotK[row * kvDim]) && Float.isNaN(gotV[row * kvDim + kvDim - 1]),
                        "row " + row + " was not to be written");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"4, 4, 16, 16, 40, 8", "6, 2, 13, 7, 71, 32", "5, 1, 33, 3, 9, 9", "4, 2, 8, 1, 300, 17"})
    void observationScoresMatchReference(int heads, int kvHeads, int headDim, int pageSize, int n, int w) {
        Random rnd = new Random(n * 7L + w);
        Pool pool = pool(rnd, pageSize, kvHeads, headDim, new int[]{n}, new int[]{0});
        float[] window = randoms(rnd, w * heads * headDim, 2f);
        float scale = (float) (1 / Math.sqrt(headDim));
        ClBuffer stats = poisoned(2 * w * heads);
        ClBuffer scores = poisoned(kvHeads * n);
        int[] pages = new int[pool.plan().indptr()[1] + 4];
        System.arraycopy(pool.plan().indices(), 0, pages, 4, pages.length - 4);
        ops.observationScores(upload(window), upload(pool.keys()), upload(pages), 4, pageSize, n, w, heads, kvHeads,
                headDim, scale, stats, scores);
        float[] got = queue.readFloats(scores, 0, kvHeads * n);
        double[] expected = new double[kvHeads * n];
        int group = heads / kvHeads;
        for (int i = 0; i < w; i++) {
            int visible = n - w + i + 1;
            for (int h = 0; h < heads; h++) {
                int g = h / group;
                double[] row = new double[visible];
                double max = Double.NEGATIVE_INFINITY;
                for (int p = 0; p < visible; p++) {
                    int k = pool.row(0, p) * pool.kvDim() + g * headDim;
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) {
                        dot += (double) window[(i * heads + h) * headDim + d] * pool.keys()[k + d];
                    }
                    row[p] = dot * scale;
                    max = Math.max(max, row[p]);
                }
                double sum = 0;
                for (int p = 0; p < visible; p++) {
                    row[p] = Math.exp(row[p] - max);
                    sum += row[p];
                }
                for (int p = 0; p < visible; p++) {
                    expected[g * n + p] += row[p] / sum;
                }
            }
        }
        assertClose(expected, got, 0, 1e-5, 1e-4, "observation scores");
        double total = 0;
        for (float f : got) {
            total += f;
        }
        assertEquals(w * heads, total, 1e-3, "every query's weights sum to one");
    }

    @Test
    void compactionMovesReadEverySourceFirst() {
        Random rnd = new Random(11);
        int kvHeads = 3;
        int headDim = 5;
        int kvDim = kvHeads * headDim;
        int rows = 40;
        float[] k = randoms(rnd, rows * kvDim, 1f);
        float[] v = randoms(rnd, rows * kvDim, 1f);
        // Overlapping moves: row r + 1 moves down to row r for every head, like a compaction dropping one entry.
        int count = 0;
        int[] packed = new int[3 * rows * kvHeads];
        int moves = (rows - 1) * kvHeads;
        for (int r = 0; r + 1 < rows; r++) {
            for (int g = 0; g < kvHeads; g++) {
                packed[count] = r + 1;
                packed[moves + count] = r;
                packed[2 * moves + count] = g;
                count++;
            }
        }
        ClBuffer kPool = upload(k);
        ClBuffer vPool = upload(v);
        ops.moveHeads(kPool, vPool, upload(packed), count, kvHeads, headDim, poisoned(count * headDim),
                poisoned(count * headDim));
        float[] gotK = queue.readFloats(kPool, 0, rows * kvDim);
        float[] gotV = queue.readFloats(vPool, 0, rows * kvDim);
        for (int r = 0; r < rows; r++) {
            int src = r + 1 < rows ? r + 1 : r;
            for (int e = 0; e < kvDim; e++) {
                assertEquals(k[src * kvDim + e], gotK[r * kvDim + e], "key row " + r);
                assertEquals(v[src * kvDim + e], gotV[r * kvDim + e], "value row " + r);
            }
        }
    }

    private static int[] parse(String csv) {
        return java.util.Arrays.stream(csv.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    }
}
