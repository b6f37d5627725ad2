package dev.flashj.tokenizer;

import java.util.Arrays;

/**
 * SentencePiece BPE as llama.cpp and llama2.c run it: any adjacent pair whose concatenation is a
 * vocabulary piece may merge, the piece with the highest score first. Scores become dense ranks
 * (equal scores share a rank, so ties fall to the leftmost pair).
 */
final class ScoreMergeRule implements MergeRule {
    private final Vocabulary vocabulary;
    private final int[] rankOfId;
    private final float[] scores;

    ScoreMergeRule(Vocabulary vocabulary, float[] scores) {
        this.vocabulary = vocabulary;
        this.scores = scores.clone();
        float[] ascending = scores.clone();
        Arrays.sort(ascending);
        float[] distinct = new float[ascending.length];
        int n = 0;
        for (int i = ascending.length - 1; i >= 0; i--) {
            // descending order without duplicates; -0.0 and 0.0 are one score
            if (n == 0 || ascending[i] != distinct[n - 1]) {
                distinct[n++] = ascending[i];
            }
        }
        rankOfId = new int[scores.length];
        for (int id = 0; id < scores.length; id++) {
            rankOfId[id] = rankInDescending(distinct, n, scores[id]);
        }
    }

    /** The scores as given, one per id. */
    float[] scores() {
        return scores.clone();
    }

    private static int rankInDescending(float[] descending, int n, float score) {
        int lo = 0;
        int hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (descending[mid] > score) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    @Override
    public long lookup(String word, int leftStart, int split, int rightEnd, int leftId, int rightId) {
        int merged = vocabulary.id(word.substring(leftStart, rightEnd));
        return merged < 0 ? NO_MERGE : MergeRule.pack(rankOfId[merged], merged);
    }
}
