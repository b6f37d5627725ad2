package dev.flashj.cpu;

/**
 * Causal grouped-query attention over a KV cache, for a batch of consecutive query tokens.
 * Query head {@code h} reads KV head {@code h / (numHeads / numKvHeads)}; scores are scaled by
 * {@code 1/sqrt(headDim)} and softmaxed in float. Work is split over (token, head) pairs.
 *
 * <p>An instance holds the score scratch for {@code maxTokens} keys, one row per worker slot, and a
 * reusable task object, so {@link #run} allocates nothing. Not thread-safe: one per session.
 */
public final class Attention {
    private final int numHeads;
    private final int numKvHeads;
    private final int headDim;
    private final int maxTokens;
    private final float scale;
    private final float[][] scores;
    private final Task task = new Task();

    /**
     * @param slots worker slots; the work is dealt round-robin to this many slots, each with its own
     *              score row (use the thread count)
     */
    public Attention(int numHeads, int numKvHeads, int headDim, int maxTokens, int slots) {
        if (numHeads <= 0 || numKvHeads <= 0 || numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("numHeads " + numHeads + " is not a multiple of numKvHeads " + numKvHeads);
        }
        this.numHeads = numHeads;
        this.numKvHeads = numKvHeads;
        this.headDim = headDim;
        this.maxTokens = maxTokens;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.scores = new float[Math.max(1, slots)][maxTokens];
    }

    /**
     * For query tokens {@code t < count} at positions {@code first + t}, attends over cached keys and
     * values at positions {@code 0 .. first + t} and writes {@code out[t*qDim + h*headDim ..]}.
     *
     * @param q      queries, token {@code t} head {@code h} at {@code t*numHeads*headDim + h*headDim}
     * @param keys   cached keys, position {@code p} KV head {@code g} at {@code kvOff + p*kvDim + g*headDim}
     * @param values cached values, same layout as keys
     */
    public void run(CpuThreads threads, float[] q, int count, int first,
                    float[] keys, float[] values, int kvOff, float[] out) {
        if (count <= 0) {
            return;
        }
        if (first < 0 || first + count > maxTokens) {
            throw new IllegalArgumentException("positions " + first + ".." + (first + count - 1)
                    + " exceed the " + maxTokens + " the attention scratch was sized for");
        }
        Task t = task;
        t.q = q;
        t.count = count;
        t.first = first;
        t.keys = keys;
        t.values = values;
        t.kvOff = kvOff;
        t.out = out;
        int slots = Math.min(scores.length, count * numHeads);
        t.slots = slots;
        try {
            threads.parallelFor(slots, t);
        } finally {
            t.q = null;
            t.keys = null;
            t.values = null;
            t.out = null;
        }
    }

    private void attendOne(float[] q, int token, int head, int first, float[] keys, float[] values, int kvOff,
                           float[] out, float[] score) {
        int qDim = numHeads * headDim;
        int kvDim = numKvHeads * headDim;
        int kvHead = head / (numHeads / numKvHeads);
        int qOff = token * qDim + head * headDim;
        int keyCount = first + token + 1;
        int kBase = kvOff + kvHead * headDim;
        for (int p = 0; p < keyCount; p++) {
            score[p] = Ops.dot(q, qOff, keys, kBase + p * kvDim, headDim) * scale;
        }
        Ops.softmax(score, 0, keyCount);
        Ops.zero(out, qOff, headDim);
        for (int p = 0; p < keyCount; p++) {
            Ops.axpy(score[p], values, kBase + p * kvDim, out, qOff, headDim);
        }
    }

    /** The reusable parallel task: slot {@code s} takes pairs {@code s, s+slots, s+2*slots, ...}. */
    private final class Task implements CpuThreads.RangeTask {
        float[] q;
        int count;
        int first;
        float[] keys;
        float[] values;
        int kvOff;
        float[] out;
        int slots;

        @Override
        public void run(int start, int end) {
            int pairs = count * numHeads;
            for (int slot = start; slot < end; slot++) {
                float[] score = scores[slot];
                for (int pair = slot; pair < pairs; pair += slots) {
                    attendOne(q, pair / numHeads, pair % numHeads, first, keys, values, kvOff, out, score);
                }
            }
        }
    }
}
