package dev.flashj.sampling;

import dev.flashj.FlashjException;

/**
 * Picks tokens from logits for one generation, following {@link SamplingParams}. Every buffer is
 * sized to the vocabulary once, here, so sampling a token allocates nothing. Not thread-safe: one
 * sampler per generation.
 *
 * <p>Steps: repeat penalty on a copy of the logits; argmax when the temperature is 0; top-k;
 * softmax of logits / temperature; top-p; min-p; a draw with the seeded generator over what is left.
 * The draw walks the candidates in order (vocabulary order when nothing sorted them) comparing one
 * uniform number with the running sum, like llama2.c, so with top-k and min-p off the same seed
 * gives llama2.c's tokens.
 */
public final class Sampler {
    private final SamplingParams params;
    private final int vocabSize;
    private final XorShiftRandom random;

    private final float[] work;      // penalised logits, then logits / temperature
    private final int[] ids;         // candidate token ids, [0, count)
    private final float[] probs;     // candidate probabilities, aligned with ids
    private final long[] keys;       // packed (value, id) pairs for sorting
    private final int[] penaltyStamp; // token id -> the call that last penalised it (dedupes the window)
    private int stampCounter;

    private final int[] recent;      // ring buffer of the last repeatLastN accepted ids
    private int recentCount;
    private int recentNext;

    private int count;    // candidates left after filtering
    private float mass;   // their probability sum

    public Sampler(SamplingParams params, int vocabSize) {
        if (vocabSize < 1) {
            throw new FlashjException("vocabSize must be >= 1, was " + vocabSize);
        }
        this.params = params;
        this.vocabSize = vocabSize;
        this.random = new XorShiftRandom(params.seed());
        this.work = new float[vocabSize];
        this.ids = new int[vocabSize];
        this.probs = new float[vocabSize];
        this.keys = new long[vocabSize];
        this.penaltyStamp = new int[vocabSize];
        this.recent = new int[params.repeatLastN()];
    }

    public SamplingParams params() {
        return params;
    }

    /**
     * Chooses the next token. {@code logits} must hold at least {@link #vocabSize} values; it is not modified.
     */
    public int sample(float[] logits) {
        if (filter(logits)) {
            return ids[0];
        }
        float r = random.nextFloat() * mass;
        float cdf = 0f;
        for (int j = 0; j < count; j++) {
            cdf += probs[j];
            if (r < cdf) {
                return ids[j];
            }
        }
        return ids[count - 1]; // rounding left r just above the sum
    }

    /** Records a token (prompt or generated) for the repeat penalty window. */
    public void accept(int tokenId) {
        if (recent.length == 0) {
            return;
        }
        recent[recentNext] = tokenId;
        recentNext = (recentNext + 1) % recent.length;
        recentCount = Math.min(recentCount + 1, recent.length);
    }

    /**
     * Runs every step before the draw. Returns true when the choice is already made (greedy: the
     * token is {@code ids[0]}); otherwise leaves the candidates in {@code ids/probs[0, count)}
     * with their sum in {@code mass}.
     */
    boolean filter(float[] logits) {
        if (logits.length < vocabSize) {
            throw new FlashjException("logits have " + logits.length + " values, the vocabulary " + vocabSize);
        }
        System.arraycopy(logits, 0, work, 0, vocabSize);
        applyRepeatPenalty();
        if (params.isGreedy()) {
            ids[0] = argmax(work, vocabSize);
            probs[0] = 1f;
            count = 1;
            mass = 1f;
            return true;
        }
        boolean sorted = applyTopK();
        softmax();
        if (params.topP() < 1f) {
            applyTopP(sorted);
        }
        if (params.minP() > 0f) {
            applyMinP();
        }
        return false;
    }

    int candidateCount() {
        return count;
    }

    int candidateId(int j) {
        return ids[j];
    }

    float candidateProbability(int j) {
        return probs[j];
    }

    float candidateMass() {
        return mass;
    }

    private void applyRepeatPenalty() {
        float penalty = params.repeatPenalty();
        if (penalty == 1f || recentCount == 0) {
            return;
        }
        stampCounter++;
        for (int i = 0; i < recentCount; i++) {
            int id = recent[i];
            if (id < 0 || id >= vocabSize || penaltyStamp[id] == stampCounter) {
                continue; // out of the vocabulary, or already penalised once this call
            }
            penaltyStamp[id] = stampCounter;
            work[id] = work[id] > 0f ? work[id] / penalty : work[id] * penalty;
        }
    }

    private static int argmax(float[] values, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Fills the candidate ids: the top K sorted (returns true), or the whole vocabulary in order. */
    private boolean applyTopK() {
        int k = params.topK();
        if (k > 0 && k < vocabSize) {
            CandidateOrder.selectTop(work, vocabSize, k, keys);
            for (int j = 0; j < k; j++) {
                ids[j] = CandidateOrder.id(keys[j]);
            }
            count = k;
            return true;
        }
        for (int i = 0; i < vocabSize; i++) {
            ids[i] = i;
        }
        count = vocabSize;
        return false;
    }

    /**
     * probs = softmax(logits / temperature) over the candidates, in float like llama2.c. The maximum
     * is subtracted before dividing, so a tiny temperature gives 0s and a 1, never inf - inf.
     */
    private void softmax() {
        float temperature = params.temperature();
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < count; j++) {
            max = Math.max(max, work[ids[j]]);
        }
        float sum = 0f;
        for (int j = 0; j < count; j++) {
            float e = (float) Math.exp((work[ids[j]] - max) / temperature);
            probs[j] = e;
            sum += e;
        }
        for (int j = 0; j < count; j++) {
            probs[j] /= sum;
        }
        mass = 1f;
    }

    /**
     * Keeps the smallest prefix of the most likely candidates whose probability reaches top-p.
     * Unsorted candidates are first thinned with llama2.c's bound: a token below
     * (1 - p) / (n - 1) can never be inside the nucleus, so only the rest needs sorting.
     */
    private void applyTopP(boolean sorted) {
        float topP = params.topP();
        if (!sorted) {
            int kept = 0;
            if (count > 1) {
                float cutoff = (1f - topP) / (count - 1);
                for (int j = 0; j < count; j++) {
                    if (probs[j] >= cutoff) {
                        keys[kept++] = CandidateOrder.key(probs[j], ids[j]);
                    }
                }
            }
            if (kept == 0) { // the bound removed everything (only when p < 1/n): sort all
                for (int j = 0; j < count; j++) {
                    keys[kept++] = CandidateOrder.key(probs[j], ids[j]);
                }
            }
            CandidateOrder.sortDescending(keys, kept);
            for (int j = 0; j < kept; j++) {
                ids[j] = CandidateOrder.id(keys[j]);
                probs[j] = CandidateOrder.value(keys[j]);
            }
            count = kept;
        }
        float cumulative = 0f;
        for (int j = 0; j < count; j++) {
            cumulative += probs[j];
            if (cumulative >= topP) {
                count = j + 1;
                break;
            }
        }
        mass = cumulative;
    }

    /** Keeps candidates at least min-p times as likely as the most likely one, in their current order. */
    private void applyMinP() {
        float max = 0f;
        for (int j = 0; j < count; j++) {
            max = Math.max(max, probs[j]);
        }
        float threshold = params.minP() * max;
        int kept = 0;
        float sum = 0f;
        for (int j = 0; j < count; j++) {
            if (probs[j] >= threshold) {
                ids[kept] = ids[j];
                probs[kept] = probs[j];
                sum += probs[j];
                kept++;
            }
        }
        count = kept;
        mass = sum;
    }
}
