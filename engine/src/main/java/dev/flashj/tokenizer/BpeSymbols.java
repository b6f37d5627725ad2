package dev.flashj.tokenizer;

import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * The symbols of one word during BPE: spans of the word with their ids, kept in a linked list so that
 * merging is cheap. {@link #mergeAll} applies a {@link MergeRule} with a priority queue (best rank
 * first, leftmost on ties); queue entries that went stale after a neighbouring merge are skipped.
 */
final class BpeSymbols {
    private final String word;
    private int count;
    private int[] start = new int[16];
    private int[] end = new int[16];
    private int[] id = new int[16];
    private int[] next = new int[16];
    private int[] prev = new int[16];
    private int[] version = new int[16];

    BpeSymbols(String word) {
        this.word = word;
    }

    /** Appends a symbol covering {@code word[from, to)} with the given id (-1 when not in the vocabulary). */
    void add(int from, int to, int tokenId) {
        if (count == start.length) {
            int n = count * 2;
            start = Arrays.copyOf(start, n);
            end = Arrays.copyOf(end, n);
            id = Arrays.copyOf(id, n);
            next = Arrays.copyOf(next, n);
            prev = Arrays.copyOf(prev, n);
            version = Arrays.copyOf(version, n);
        }
        start[count] = from;
        end[count] = to;
        id[count] = tokenId;
        prev[count] = count - 1;
        next[count] = -1;
        if (count > 0) {
            next[count - 1] = count;
        }
        count++;
    }

    private record Candidate(int rank, int left, int right, int leftVersion, int rightVersion, int mergedId) {
    }

    void mergeAll(MergeRule rule) {
        if (count < 2) {
            return;
        }
        PriorityQueue<Candidate> queue = new PriorityQueue<>(count,
                (a, b) -> a.rank != b.rank ? Integer.compare(a.rank, b.rank) : Integer.compare(a.left, b.left));
        for (int i = 0; i + 1 < count; i++) {
            offer(queue, rule, i, i + 1);
        }
        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            // stale: one side merged since, or the pair is no longer adjacent
            if (version[c.left] != c.leftVersion || version[c.right] != c.rightVersion || next[c.left] != c.right) {
                continue;
            }
            int left = c.left;
            int right = c.right;
            end[left] = end[right];
            id[left] = c.mergedId;
            version[left]++;
            version[right] = -1; // dead
            next[left] = next[right];
            if (next[left] >= 0) {
                prev[next[left]] = left;
            }
            if (prev[left] >= 0) {
                offer(queue, rule, prev[left], left);
            }
            if (next[left] >= 0) {
                offer(queue, rule, left, next[left]);
            }
        }
    }

    private void offer(PriorityQueue<Candidate> queue, MergeRule rule, int left, int right) {
        long found = rule.lookup(word, start[left], end[left], end[right], id[left], id[right]);
        if (found != MergeRule.NO_MERGE) {
            queue.add(new Candidate((int) (found >>> 32), left, right, version[left], version[right], (int) found));
        }
    }

    /** The first symbol (index 0 never dies: merges keep the left symbol). */
    int first() {
        return count == 0 ? -1 : 0;
    }

    int next(int symbol) {
        return next[symbol];
    }

    int start(int symbol) {
        return start[symbol];
    }

    int end(int symbol) {
        return end[symbol];
    }

    int id(int symbol) {
        return id[symbol];
    }
}
