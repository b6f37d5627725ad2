package dev.flashj.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * BPE with an explicit merge list (Hugging Face, GPT-2 style): only listed pairs merge, earlier
 * entries first. Keyed by the pair of ids, so a lookup allocates nothing but the boxed key.
 */
final class RankMergeRule implements MergeRule {
    private final Map<Long, Long> merges;

    private RankMergeRule(Map<Long, Long> merges) {
        this.merges = merges;
    }

    /** Collects merges in rank order; a repeated pair keeps its first (best) rank. */
    static final class Builder {
        private final Map<Long, Long> merges;
        private int rank;

        Builder(int expected) {
            merges = HashMap.newHashMap(expected);
        }

        void add(int leftId, int rightId, int mergedId) {
            merges.putIfAbsent(key(leftId, rightId), MergeRule.pack(rank++, mergedId));
        }

        RankMergeRule build() {
            return new RankMergeRule(merges);
        }
    }

    private static long key(int leftId, int rightId) {
        return ((long) leftId << 32) | (rightId & 0xFFFFFFFFL);
    }

    int size() {
        return merges.size();
    }

    @Override
    public long lookup(String word, int leftStart, int split, int rightEnd, int leftId, int rightId) {
        if (leftId < 0 || rightId < 0) {
            return NO_MERGE;
        }
        Long found = merges.get(key(leftId, rightId));
        return found == null ? NO_MERGE : found;
    }
}
