package dev.flashj.kv;

import java.util.List;

/**
 * Where a batch's queries and KV pages are, for one layer, in FlashInfer's vocabulary. Sequence
 * {@code s} has query rows {@code qoIndptr[s] .. qoIndptr[s+1]} and pages {@code indices[indptr[s] ..
 * indptr[s+1]]}, the last one filled to {@code lastPageLen[s]}, so its KV length is {@code (pages - 1)
 * * pageSize + lastPageLen[s]}. The queries of a sequence are its last tokens: query row {@code t} of
 * {@code n} attends to KV entries {@code 0 .. kvLen - n + t} (causal).
 */
public record PagePlan(int pageSize, int[] qoIndptr, int[] indptr, int[] indices, int[] lastPageLen) {

    public PagePlan {
        int batch = lastPageLen.length;
        if (pageSize <= 0 || qoIndptr.length != batch + 1 || indptr.length != batch + 1
                || qoIndptr[0] != 0 || indptr[0] != 0 || indptr[batch] > indices.length) {
            throw new IllegalStateException("inconsistent page plan: batch " + batch + ", qo_indptr "
                    + qoIndptr.length + ", indptr " + indptr.length + ", indices " + indices.length);
        }
        for (int s = 0; s < batch; s++) {
            int pages = indptr[s + 1] - indptr[s];
            int queries = qoIndptr[s + 1] - qoIndptr[s];
            boolean pagesOk = pages == 0 ? lastPageLen[s] == 0 : lastPageLen[s] >= 1 && lastPageLen[s] <= pageSize;
            if (pages < 0 || queries < 0 || !pagesOk) {
                throw new IllegalStateException("page plan, sequence " + s + ": " + pages + " pages, last page length "
                        + lastPageLen[s] + ", " + queries + " queries");
            }
            if (queries > 0 && (pages - 1L) * pageSize + lastPageLen[s] < queries) {
                throw new IllegalStateException("page plan, sequence " + s + ": " + queries
                        + " queries need at least as many KV entries");
            }
        }
    }

    /**
     * The plan for sequences with {@code queries[s]} new tokens each (already appended) over one layer's
     * block tables.
     */
    public static PagePlan of(int pageSize, int[] queries, List<BlockTable> tables) {
        int batch = tables.size();
        int[] qo = new int[batch + 1];
        int[] indptr = new int[batch + 1];
        int[] last = new int[batch];
        int pages = 0;
        for (int s = 0; s < batch; s++) {
            pages += (tables.get(s).entries() + pageSize - 1) / pageSize;
        }
        int[] indices = new int[pages];
        for (int s = 0; s < batch; s++) {
            BlockTable t = tables.get(s);
            qo[s + 1] = qo[s] + queries[s];
            indptr[s + 1] = indptr[s] + t.copyUsedBlocks(pageSize, indices, indptr[s]);
            last[s] = t.entries() == 0 ? 0 : (t.entries() - 1) % pageSize + 1;
        }
        return new PagePlan(pageSize, qo, indptr, indices, last);
    }

    public int batchSize() {
        return lastPageLen.length;
    }

    /** KV entries of sequence {@code s}. */
    public int kvLength(int s) {
        int pages = indptr[s + 1] - indptr[s];
        return pages == 0 ? 0 : (pages - 1) * pageSize + lastPageLen[s];
    }

    /** Query rows of sequence {@code s}. */
    public int queries(int s) {
        return qoIndptr[s + 1] - qoIndptr[s];
    }

    /** Total query rows. */
    public int totalQueries() {
        return qoIndptr[batchSize()];
    }
}
