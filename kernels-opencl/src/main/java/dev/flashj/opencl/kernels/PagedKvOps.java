package dev.flashj.opencl.kernels;

import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClDevice;
import dev.flashj.opencl.runtime.ClKernel;
import dev.flashj.opencl.runtime.ClQueue;

import java.util.ArrayList;
import java.util.List;

/**
 * The paged KV cache's device operations on one queue (kernels of {@code paged.cl}): appending new
 * tokens through the block table, prefill and split-KV decode attention over pages, observation scores
 * for the eviction policies and compaction moves. The pool is {@code kPool, vPool = [blocks * pageSize,
 * kvHeads, headDim]} f32; page plans are {@link DevicePagePlan}s. Work-group and tile sizes come from the
 * device's limits and each kernel's own. Launches are asynchronous. Not thread-safe: one per queue.
 */
public final class PagedKvOps implements AutoCloseable {
    private static final String STD = "-cl-std=CL1.2";

    private final ClQueue queue;
    private final ClDevice device;
    private final int maxHeadDim;
    private final List<ClKernel> owned = new ArrayList<>();
    private final ClKernel append;
    private final ClKernel prefill;
    private final ClKernel decodePartial;
    private final ClKernel decodeCombine;
    private final ClKernel observationStats;
    private final ClKernel observationScores;
    private final ClKernel gatherHeads;
    private final ClKernel scatterHeads;
    private final int elementGroup;
    private final int prefillTile;
    private final int decodeGroup;
    private final int maxDecodeChunk;
    private final int statsGroup;

    /** @param maxHeadDim the largest head size attention will see (sizes private accumulators and tiles) */
    public PagedKvOps(ClContext context, ClQueue queue, int maxHeadDim) {
        if (maxHeadDim <= 0) {
            throw new IllegalArgumentException("maxHeadDim must be positive: " + maxHeadDim);
        }
        this.queue = queue;
        this.device = context.device();
        this.maxHeadDim = maxHeadDim;
        try {
            var paged = context.program("paged.cl", STD + " -DMAX_HEAD_DIM=" + maxHeadDim);
            append = own(paged.kernel("paged_append"));
            prefill = own(paged.kernel("paged_prefill"));
            decodePartial = own(paged.kernel("paged_decode_partial"));
            observationStats = own(paged.kernel("observation_stats"));
            observationScores = own(paged.kernel("observation_scores"));
            gatherHeads = own(paged.kernel("kv_gather_heads"));
            scatterHeads = own(paged.kernel("kv_scatter_heads"));
            decodeCombine = own(context.program("attention.cl", STD + " -DMAX_HEAD_DIM=" + maxHeadDim)
                    .kernel("decode_combine"));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        long elementLimit = Math.min(Math.min(append.maxWorkGroupSize(), observationScores.maxWorkGroupSize()),
                Math.min(Math.min(gatherHeads.maxWorkGroupSize(), scatterHeads.maxWorkGroupSize()),
                        decodeCombine.maxWorkGroupSize()));
        elementGroup = groupFor(elementLimit, 64);
        int tile = groupFor(prefill.maxWorkGroupSize(), 64);
        // Two key/value tiles of tile * maxHeadDim floats must fit in local memory, with room to spare.
        while (tile > 1 && 2L * tile * maxHeadDim * 4 > device.localMemSize() - 1024) {
            tile /= 2;
        }
        prefillTile = tile;
        decodeGroup = groupFor(decodePartial.maxWorkGroupSize(), 128);
        // A split's scores (float) and pool rows (int) sit in local memory beside the query and the reduction.
        long chunkRoom = (device.localMemSize() - 1024 - 4L * (maxHeadDim + decodeGroup)) / 8;
        maxDecodeChunk = (int) Math.max(1, Math.min(1024, chunkRoom));
        statsGroup = groupFor(observationStats.maxWorkGroupSize(), 128);
    }

    private ClKernel own(ClKernel k) {
        owned.add(k);
        return k;
    }

    /** The largest power of two at most min(limit, preferred). */
    private static int groupFor(long limit, int preferred) {
        return Integer.highestOneBit((int) Math.max(1, Math.min(limit, preferred)));
    }

    private static long roundUp(long n, long multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    /** Tile sizes in use, for display and tests. */
    public String tiling() {
        return "paged prefill tile " + prefillTile + ", decode group " + decodeGroup + " (split <= " + maxDecodeChunk
                + " entries), observation group " + statsGroup;
    }

    /** The most KV entries one decode split can hold (a page must fit). */
    public int maxDecodeChunk() {
        return maxDecodeChunk;
    }

    public ClQueue queue() {
        return queue;
    }

    /**
     * Writes {@code count} tokens' keys and values ({@code k, v = [count, kvDim]} from {@code srcOff}) to the
     * pool rows {@code rows[rowsOff ..]}.
     */
    public void append(ClBuffer k, ClBuffer v, int srcOff, ClBuffer rows, int rowsOff, int count, int kvDim,
                       ClBuffer kPool, ClBuffer vPool) {
        if (count <= 0) {
            return;
        }
        append.arg(0, k).arg(1, v).arg(2, srcOff).arg(3, rows).arg(4, rowsOff).arg(5, count).arg(6, kvDim)
                .arg(7, kPool).arg(8, vPool);
        queue.run(append, new long[]{roundUp(kvDim, elementGroup), count}, new long[]{elementGroup, 1});
    }

    /**
     * Causal attention of every query row of {@code plan} ({@code q, out = [rows, heads, headDim]}) over its
     * sequence's pages: the prefill of one or more sequences.
     */
    public void prefill(ClBuffer q, ClBuffer kPool, ClBuffer vPool, ClBuffer out, DevicePagePlan plan, int heads,
                        int kvHeads, int headDim, float scale) {
        checkHeads(heads, kvHeads, headDim);
        if (plan.totalQueries() == 0) {
            return;
        }
        prefill.arg(0, q).arg(1, kPool).arg(2, vPool).arg(3, out).arg(4, plan.ints()).arg(5, plan.qoOffset())
                .arg(6, plan.indptrOffset()).arg(7, plan.lastPageLenOffset()).arg(8, plan.indicesOffset())
                .arg(9, plan.pageSize()).arg(10, heads).arg(11, kvHeads).arg(12, headDim).arg(13, scale)
                .localArg(14, 4L * prefillTile * headDim).localArg(15, 4L * prefillTile * headDim);
        queue.run(prefill, new long[]{roundUp(plan.maxQueries(), prefillTile), heads, plan.batch()},
                new long[]{prefillTile, 1, 1});
    }

    /** Pages per decode split for {@code plan}: enough splits to fill the device, each within local memory. */
    public int pagesPerSplit(DevicePagePlan plan, int heads) {
        int pageSize = plan.pageSize();
        if (pageSize > maxDecodeChunk) {
            throw new IllegalArgumentException("KV pages of " + pageSize + " entries exceed the " + maxDecodeChunk
                    + " a decode split of " + device.describe() + " holds in local memory");
        }
        int maxPages = Math.max(1, (plan.maxKvLen() + pageSize - 1) / pageSize);
        long pairs = (long) plan.batch() * heads;
        int wanted = (int) Math.max(1, (4L * device.computeUnits() + pairs - 1) / pairs);
        int perSplit = (maxPages + wanted - 1) / wanted;
        return Math.clamp(perSplit, 1, maxDecodeChunk / pageSize);
    }

    /** Floats of a decode partial buffer for {@code batch} sequences of at most {@code maxKvLen} entries. */
    public static long decodePartialFloats(int batch, int heads, int headDim, int maxKvLen, int pageSize) {
        long pages = Math.max(1, (maxKvLen + (long) pageSize - 1) / pageSize);
        return (long) batch * heads * pages * (headDim + 2);
    }

    /**
     * Split-KV decode: one query row per sequence ({@code q, out = [batch, heads, headDim]}) over its pages.
     * Work-groups take {@link #pagesPerSplit} pages each and write partials; a second kernel merges them.
     */
    public void decode(ClBuffer q, ClBuffer kPool, ClBuffer vPool, ClBuffer partial, ClBuffer out, DevicePagePlan plan,
                       int heads, int kvHeads, int headDim, float scale) {
        checkHeads(heads, kvHeads, headDim);
        if (plan.totalQueries() != plan.batch() || plan.maxQueries() != 1) {
            throw new IllegalArgumentException("decode needs one query per sequence, got " + plan.totalQueries()
                    + " for " + plan.batch() + " sequences");
        }
        if (plan.maxKvLen() == 0) {
            throw new IllegalArgumentException("decode needs at least one KV entry per sequence");
        }
        int perSplit = pagesPerSplit(plan, heads);
        int maxPages = (plan.maxKvLen() + plan.pageSize() - 1) / plan.pageSize();
        int splits = (maxPages + perSplit - 1) / perSplit;
        long rows = (long) plan.batch() * heads;
        if (rows * splits * (headDim + 2) * 4 > partial.byteSize()) {
            throw new IllegalArgumentException("partial buffer too small for " + splits + " splits of " + rows + " rows");
        }
        int chunk = perSplit * plan.pageSize();
        decodePartial.arg(0, q).arg(1, kPool).arg(2, vPool).arg(3, partial).arg(4, plan.ints())
                .arg(5, plan.indptrOffset()).arg(6, plan.lastPageLenOffset()).arg(7, plan.indicesOffset())
                .arg(8, plan.pageSize()).arg(9, perSplit).arg(10, heads).arg(11, kvHeads).arg(12, headDim)
                .arg(13, scale).localArg(14, 4L * headDim).localArg(15, 4L * chunk).localArg(16, 4L * chunk)
                .localArg(17, 4L * decodeGroup);
        queue.run(decodePartial, new long[]{(long) heads * decodeGroup, splits, plan.batch()},
                new long[]{decodeGroup, 1, 1});
        decodeCombine.arg(0, partial).arg(1, out).arg(2, 0).arg(3, (int) rows).arg(4, headDim).arg(5, splits);
        int g = Math.min(elementGroup, Integer.highestOneBit(headDim) * 2);
        queue.run(decodeCombine, new long[]{roundUp(headDim, g), rows}, new long[]{g, 1});
    }

    /**
     * Observation scores of one sequence's layer: {@code scores[g * n + p]} = the softmax weight the first
     * {@code w} window queries ({@code window = [w, heads, headDim]}, query {@code i} seeing entries {@code
     * 0 .. n - w + i}) give entry {@code p}, summed over those queries and KV head {@code g}'s query heads.
     * The sequence's pages are {@code pages[pagesOff ..]}; {@code stats} holds {@code 2 * w * heads} floats.
     */
    public void observationScores(ClBuffer window, ClBuffer kPool, ClBuffer pages, int pagesOff, int pageSize, int n,
                                  int w, int heads, int kvHeads, int headDim, float scale, ClBuffer stats,
                                  ClBuffer scores) {
        checkHeads(heads, kvHeads, headDim);
        if (w < 1 || w > n) {
            throw new IllegalArgumentException("observation window " + w + " over " + n + " entries");
        }
        observationStats.arg(0, window).arg(1, kPool).arg(2, pages).arg(3, pagesOff).arg(4, pageSize).arg(5, n)
                .arg(6, w).arg(7, heads).arg(8, kvHeads).arg(9, headDim).arg(10, scale).arg(11, stats)
                .localArg(12, 4L * headDim).localArg(13, 4L * statsGroup).localArg(14, 4L * statsGroup);
        queue.run(observationStats, new long[]{(long) heads * statsGroup, w}, new long[]{statsGroup, 1});
        observationScores.arg(0, window).arg(1, kPool).arg(2, pages).arg(3, pagesOff).arg(4, pageSize).arg(5, n)
                .arg(6, w).arg(7, heads).arg(8, kvHeads).arg(9, headDim).arg(10, scale).arg(11, stats)
                .arg(12, scores);
        queue.run(observationScores, new long[]{roundUp(n, elementGroup), kvHeads}, new long[]{elementGroup, 1});
    }

    /**
     * Compaction: for {@code i < count}, head {@code moves[2*count + i]} of pool row {@code moves[i]} goes to
     * row {@code moves[count + i]}, all sources read (into {@code kScratch, vScratch}, {@code count *
     * headDim} floats each) before any destination is written.
     */
    public void moveHeads(ClBuffer kPool, ClBuffer vPool, ClBuffer moves, int count, int kvHeads, int headDim,
                          ClBuffer kScratch, ClBuffer vScratch) {
        if (count <= 0) {
            return;
        }
        long[] global = {roundUp(headDim, elementGroup), count};
        long[] local = {elementGroup, 1};
        gatherHeads.arg(0, kPool).arg(1, vPool).arg(2, moves).arg(3, count).arg(4, kvHeads).arg(5, headDim)
                .arg(6, kScratch).arg(7, vScratch);
        queue.run(gatherHeads, global, local);
        scatterHeads.arg(0, kScratch).arg(1, vScratch).arg(2, moves).arg(3, count).arg(4, kvHeads).arg(5, headDim)
                .arg(6, kPool).arg(7, vPool);
        queue.run(scatterHeads, global, local);
    }

    private void checkHeads(int heads, int kvHeads, int headDim) {
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " is not a multiple of kvHeads " + kvHeads);
        }
        if (headDim <= 0 || headDim > maxHeadDim) {
            throw new IllegalArgumentException("headDim " + headDim + " outside 1.." + maxHeadDim);
        }
    }

    @Override
    public void close() {
        for (ClKernel k : owned) {
            k.close();
        }
        owned.clear();
    }
}
