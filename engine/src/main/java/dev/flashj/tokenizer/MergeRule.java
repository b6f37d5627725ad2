package dev.flashj.tokenizer;

/**
 * Which adjacent pair of symbols BPE may merge and how urgently. A lookup returns
 * {@code (rank << 32) | mergedId}, lower rank merging first, or -1 when the pair does not merge.
 */
interface MergeRule {

    long NO_MERGE = -1L;

    /**
     * @param word       the text being tokenized
     * @param leftStart  where the left symbol starts in {@code word}
     * @param split      where the left symbol ends and the right one starts
     * @param rightEnd   where the right symbol ends
     * @param leftId     the left symbol's id (-1 when it is not in the vocabulary)
     * @param rightId    the right symbol's id (-1 when it is not in the vocabulary)
     */
    long lookup(String word, int leftStart, int split, int rightEnd, int leftId, int rightId);

    static long pack(int rank, int mergedId) {
        return ((long) rank << 32) | (mergedId & 0xFFFFFFFFL);
    }
}
