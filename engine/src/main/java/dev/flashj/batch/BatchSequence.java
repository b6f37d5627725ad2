package dev.flashj.batch;

/**
 * One request as the {@link BatchScheduler} sees it: prompt tokens in, a token chosen from each
 * step's logits, a signal when it is done. The scheduler calls it from its one driving thread.
 */
public interface BatchSequence {

    /** The prompt's token ids (at least one). */
    int[] promptTokens();

    /** The most tokens, prompt plus generated, its KV cache may hold. */
    int capacity();

    /**
     * Chooses the next token from the logits of the last token in the cache. The scheduler feeds it
     * next, unless {@link #finished()} now says the sequence is done.
     */
    int next(float[] logits);

    /** True once the sequence wants no more tokens (its last token ended it, or it was cancelled). */
    boolean finished();

    /** The scheduler let go of the finished sequence: its cache is freed and no more calls come. */
    void completed();

    /** The sequence ended without finishing (it cannot fit the KV budget, or the model failed). */
    void failed(RuntimeException cause);
}
