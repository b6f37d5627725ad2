package dev.flashj.kv;

import dev.flashj.cpu.Ops;

/**
 * The attention the last {@code w} queries of a layer pay to each KV entry, summed over those queries
 * and over the query heads of each KV head's group: {@code scores[g][p]}. Each query row is softmaxed
 * over the entries it can see (causal: window query {@code i} sees entries {@code 0 .. N - w + i}) one
 * row at a time, so memory is one row of {@code N} floats plus the {@code kvHeads x N} result, never
 * an {@code N x N} (nor even {@code w x N}) matrix.
 */
public final class ObservationScores {
    private float[] row = new float[0];

    /**
     * @param window queries of the last {@code w} entries, oldest first, each {@code numHeads * headDim}
     *               (after RoPE, as attention used them)
     */
    public double[][] compute(PagedSequence seq, int layer, float[] window, int w, int numHeads) {
        KvLayout layout = seq.pool().layout();
        BlockPool pool = seq.pool();
        BlockTable table = seq.table(layer);
        int n = table.entries();
        int kvHeads = layout.numKvHeads();
        int headDim = layout.headDim();
        int kvDim = layout.kvDim();
        int bs = layout.blockSize();
        int group = numHeads / kvHeads;
        if (w < 1 || w > n) {
            throw new IllegalStateException("observation window " + w + " over " + n + " entries");
        }
        if (row.length < n) {
            row = new float[n];
        }
        float scale = (float) (1.0 / Math.sqrt(headDim));
        double[][] scores = new double[kvHeads][n];
        for (int i = 0; i < w; i++) {
            int visible = n - w + i + 1;
            for (int h = 0; h < numHeads; h++) {
                int g = h / group;
                int qOff = (i * numHeads + h) * headDim;
                for (int p = 0; p < visible; p++) {
                    int id = table.block(p / bs);
                    row[p] = Ops.dot(window, qOff, pool.keys(id), pool.offset(id) + (p % bs) * kvDim + g * headDim,
                            headDim) * scale;
                }
                Ops.softmax(row, 0, visible);
                double[] target = scores[g];
                for (int p = 0; p < visible; p++) {
                    target[p] += row[p];
                }
            }
        }
        return scores;
    }
}
