package dev.flashj.kv;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.Ops;

/**
 * Causal grouped-query attention on the CPU reading keys and values through a {@link PagePlan}: the
 * same kernel serves prefill (many query rows of one sequence over its history and themselves) and
 * batched decode (one row per sequence). Query head {@code h} reads KV head {@code h / (numHeads /
 * numKvHeads)}; scores are scaled by {@code 1/sqrt(headDim)} and softmaxed in float.
 *
 * <p>Split-KV: when there are fewer (row, head) pairs than work slots (decode), each pair's keys are
 * cut into page-aligned splits computed separately (max, sum of exponentials, unnormalized output)
 * and merged; otherwise each pair runs in one pass exactly like a dense two-pass softmax.
 *
 * <p>Scratch grows with the longest sequence seen. Not thread-safe: one instance per session or batch.
 */
public final class PagedAttention {
    /** Aim for this many work items per slot before splitting the KV of a pair. */
    private static final int ITEMS_PER_SLOT = 4;

    private final int numHeads;
    private final int numKvHeads;
    private final int headDim;
    private final int slots;
    private final float scale;
    private float[][] scores;
    private float[] partials = new float[0];
    private int[] rowSequence = new int[0];
    private final Task task = new Task();

    /** @param slots work slots (use the thread count); each has its own score row */
    public PagedAttention(int numHeads, int numKvHeads, int headDim, int slots) {
        if (numHeads <= 0 || numKvHeads <= 0 || numHeads % numKvHeads != 0 || headDim <= 0) {
            throw new IllegalArgumentException("heads " + numHeads + " must be a positive multiple of KV heads "
                    + numKvHeads + " (head dim " + headDim + ")");
        }
        this.numHeads = numHeads;
        this.numKvHeads = numKvHeads;
        this.headDim = headDim;
        this.slots = Math.max(1, slots);
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.scores = new float[this.slots][0];
    }

    /**
     * Attends every query row of {@code plan}: row {@code r}, head {@code h} reads {@code q[r*qDim + h*headDim ..]}
     * and writes {@code out[r*qDim + h*headDim ..]} ({@code qDim = numHeads*headDim}).
     */
    public void run(CpuThreads threads, BlockPool pool, PagePlan plan, float[] q, float[] out) {
        int rows = plan.totalQueries();
        if (rows == 0) {
            return;
        }
        if (pool.layout().numKvHeads() != numKvHeads || pool.layout().headDim() != headDim
                || pool.layout().blockSize() != plan.pageSize()) {
            throw new IllegalStateException("pool layout " + pool.layout() + " does not match the attention ("
                    + numKvHeads + " KV heads of " + headDim + ", pages of " + plan.pageSize() + ")");
        }
        if (rowSequence.length < rows) {
            rowSequence = new int[rows];
        }
        int maxKv = 0;
        for (int s = 0; s < plan.batchSize(); s++) {
            maxKv = Math.max(maxKv, plan.kvLength(s));
            for (int r = plan.qoIndptr()[s]; r < plan.qoIndptr()[s + 1]; r++) {
                rowSequence[r] = s;
            }
        }
        int pageSize = plan.pageSize();
        int maxPages = (maxKv + pageSize - 1) / pageSize;
        int pairs = rows * numHeads;
        int splits = pairs >= slots * ITEMS_PER_SLOT ? 1
                : Math.min(maxPages, (slots * ITEMS_PER_SLOT + pairs - 1) / pairs);
        int pagesPerSplit = (maxPages + splits - 1) / splits;
        splits = (maxPages + pagesPerSplit - 1) / pagesPerSplit;
        int span = splits == 1 ? maxKv : pagesPerSplit * pageSize;
        if (scores[0].length < span) {
            for (int i = 0; i < slots; i++) {
                scores[i] = new float[Math.max(span, scores[i].length * 2)];
            }
        }
        int items = pairs * splits;
        if (splits > 1 && partials.length < items * (headDim + 2)) {
            partials = new float[items * (headDim + 2)];
        }
        Task t = task;
        t.pool = pool;
        t.plan = plan;
        t.q = q;
        t.out = out;
        t.splits = splits;
        t.span = span;
        t.items = items;
        t.pairs = pairs;
        t.usedSlots = Math.min(slots, items);
        t.merging = false;
        try {
            threads.parallelFor(t.usedSlots, t);
            if (splits > 1) {
                t.merging = true;
                t.usedSlots = Math.min(slots, pairs);
                threads.parallelFor(t.usedSlots, t);
            }
        } finally {
            t.pool = null;
            t.plan = null;
            t.q = null;
            t.out = null;
        }
    }

    /**
     * Scores keys {@code [from, to)} of sequence {@code s} against one query head into {@code score[0 ..]}
     * (scaled), and returns the count.
     */
    private int score(BlockPool pool, PagePlan plan, int s, int kvHead, float[] q, int qOff, int from, int to,
                      float[] score) {
        int pageSize = plan.pageSize();
        int kvDim = numKvHeads * headDim;
        int[] indices = plan.indices();
        int base = plan.indptr()[s];
        for (int p = from; p < to; ) {
            int id = indices[base + p / pageSize];
            int slot = p % pageSize;
            int run = Math.min(to - p, pageSize - slot);
            float[] keys = pool.keys(id);
            int off = pool.offset(id) + slot * kvDim + kvHead * headDim;
            for (int i = 0; i < run; i++) {
                score[p - from + i] = Ops.dot(q, qOff, keys, off + i * kvDim, headDim) * scale;
            }
            p += run;
        }
        return to - from;
    }

    /** {@code out[outOff ..] += sum_p weight[p - from] * V[p]} over keys {@code [from, to)}. */
    private void accumulate(BlockPool pool, PagePlan plan, int s, int kvHead, float[] weight, int from, int to,
                            float[] out, int outOff) {
        int pageSize = plan.pageSize();
        int kvDim = numKvHeads * headDim;
        int[] indices = plan.indices();
        int base = plan.indptr()[s];
        for (int p = from; p < to; ) {
            int id = indices[base + p / pageSize];
            int slot = p % pageSize;
            int run = Math.min(to - p, pageSize - slot);
            float[] values = pool.values(id);
            int off = pool.offset(id) + slot * kvDim + kvHead * headDim;
            for (int i = 0; i < run; i++) {
                Ops.axpy(weight[p - from + i], values, off + i * kvDim, out, outOff, headDim);
            }
            p += run;
        }
    }

    /** One work slot: items {@code slot, slot + usedSlots, ...}; an item is (pair, split). */
    private final class Task implements CpuThreads.RangeTask {
        BlockPool pool;
        PagePlan plan;
        float[] q;
        float[] out;
        int splits;
        int span;
        int items;
        int pairs;
        int usedSlots;
        boolean merging;

        @Override
        public void run(int start, int end) {
            for (int slot = start; slot < end; slot++) {
                if (merging) {
                    for (int pair = slot; pair < pairs; pair += usedSlots) {
                        merge(pair);
                    }
                } else {
                    for (int item = slot; item < items; item += usedSlots) {
                        attend(item, scores[slot]);
                    }
                }
            }
        }

        private void attend(int item, float[] score) {
            int pair = item / splits;
            int split = item % splits;
            int row = pair / numHeads;
            int head = pair % numHeads;
            int s = rowSequence[row];
            int qDim = numHeads * headDim;
            int kvHead = head / (numHeads / numKvHeads);
            int qOff = row * qDim + head * headDim;
            int local = row - plan.qoIndptr()[s];
            int keyCount = plan.kvLength(s) - plan.queries(s) + local + 1;
            if (splits == 1) {
                int n = score(pool, plan, s, kvHead, q, qOff, 0, keyCount, score);
                Ops.softmax(score, 0, n);
                Ops.zero(out, qOff, headDim);
                accumulate(pool, plan, s, kvHead, score, 0, keyCount, out, qOff);
                return;
            }
            int part = item * (headDim + 2);
            int from = split * span;
            int to = Math.min(keyCount, from + span);
            Ops.zero(partials, part + 2, headDim);
            if (from >= to) {
                partials[part] = Float.NEGATIVE_INFINITY;
                partials[part + 1] = 0f;
                return;
            }
            int n = score(pool, plan, s, kvHead, q, qOff, from, to, score);
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, score[i]);
            }
            float sum = 0f;
            for (int i = 0; i < n; i++) {
                float e = (float) Math.exp(score[i] - max);
                score[i] = e;
                sum += e;
            }
            partials[part] = max;
            partials[part + 1] = sum;
            accumulate(pool, plan, s, kvHead, score, from, to, partials, part + 2);
        }

        private void merge(int pair) {
            int qOff = (pair / numHeads) * numHeads * headDim + (pair % numHeads) * headDim;
            int first = pair * splits * (headDim + 2);
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < splits; i++) {
                max = Math.max(max, partials[first + i * (headDim + 2)]);
            }
            Ops.zero(out, qOff, headDim);
            float total = 0f;
            for (int i = 0; i < splits; i++) {
                int part = first + i * (headDim + 2);
                if (partials[part + 1] == 0f) {
                    continue;
                }
                float w = (float) Math.exp(partials[part] - max);
                total += w * partials[part + 1];
                Ops.axpy(w, partials, part + 2, out, qOff, headDim);
            }
            Ops.scale(out, qOff, headDim, 1f / total);
        }
    }
}
