package dev.flashj.tokenizer;

import java.util.Arrays;

/**
 * BPE with an explicit merge list (Hugging Face, GPT-2 style): only listed pairs merge, earlier
 * entries first. Stored in an open-addressing table keyed by the pair of ids, so building it for a
 * 50k-merge vocabulary and looking pairs up during encoding allocate nothing per entry.
 */
final class RankMergeRule implements MergeRule {
    private static final long EMPTY = -1L; // no real key: ids are non-negative

    private final long[] keys;
    private final long[] values;
    private final int mask;
    private final int size;

    private RankMergeRule(long[] keys, long[] values, int size) {
        this.keys = keys;
        this.values = values;
        this.mask = keys.length - 1;
        this.size = size;
    }

    /** Collects merges in rank order; a repeated pair keeps its first (best) rank. */
    static final class Builder {
        private final long[] keys;
        private final long[] values;
        private final int mask;
        private int rank;
        private int size;

        Builder(int expected) {
            int capacity = Integer.highestOneBit(Math.max(4, expected) * 2 - 1) << 1;
            keys = new long[capacity];
            values = new long[capacity];
            Arrays.fill(keys, EMPTY);
            mask = capacity - 1;
        }

        void add(int leftId, int rightId, int mergedId) {
            if (size + 1 > (mask + 1) / 2) {
                throw new IllegalStateException("more merges than announced");
            }
            long key = key(leftId, rightId);
            int slot = slot(key, mask);
            while (keys[slot] != EMPTY && keys[slot] != key) {
                slot = (slot + 1) & mask;
            }
            int thisRank = rank++;
            if (keys[slot] == EMPTY) {
                keys[slot] = key;
                values[slot] = MergeRule.pack(thisRank, mergedId);
                size++;
            }
        }

        RankMergeRule build() {
            return new RankMergeRule(keys, values, size);
        }
    }

    private static long key(int leftId, int rightId) {
        return ((long) leftId << 32) | (rightId & 0xFFFFFFFFL);
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    /** For each id, the rank of the earliest merge that produces it, or -1 when no merge does. */
    int[] firstRankProducing(int vocabSize) {
        int[] ranks = new int[vocabSize];
        java.util.Arrays.fill(ranks, -1);
        for (int slot = 0; slot < keys.length; slot++) {
            if (keys[slot] != EMPTY) {
                int rank = (int) (values[slot] >>> 32);
                int merged = (int) values[slot];
                if (merged >= 0 && merged < vocabSize && (ranks[merged] < 0 || rank < ranks[merged])) {
                    ranks[merged] = rank;
                }
            }
        }
        return ranks;
    }

    int size() {
        return size;
    }

    @Override
    public long lookup(String word, int leftStart, int split, int rightEnd, int leftId, int rightId) {
        if (leftId < 0 || rightId < 0) {
            return NO_MERGE;
        }
        long key = key(leftId, rightId);
        for (int slot = slot(key, mask); ; slot = (slot + 1) & mask) {
            long k = keys[slot];
            if (k == key) {
                return values[slot];
            }
            if (k == EMPTY) {
                return NO_MERGE;
            }
        }
    }
}
