package dev.flashj.model;

/**
 * The per-sequence state of a {@link LanguageModel}: activations and the KV cache. Not thread-safe;
 * one thread drives a session at a time.
 */
public interface ModelSession extends AutoCloseable {

    /** Tokens processed so far (the position of the next token). */
    int position();

    /** Capacity given at creation. */
    int maxTokens();

    /**
     * Runs the model over {@code count} tokens at positions {@code position() .. position()+count-1}
     * as one batch (prefill) and returns the logits of the last one. The returned array is owned by
     * the session and overwritten by the next call.
     *
     * @throws dev.flashj.FlashjException when the tokens would exceed {@link #maxTokens()} or an id is out of range
     */
    float[] feed(int[] tokens, int offset, int count);

    /**
     * Bytes of KV cache this sequence holds now (after any eviction), or -1 when the backend does not
     * say.
     */
    default long kvBytes() {
        return -1;
    }

    /** Forgets every position from {@code newPosition} on (0 restarts the sequence). */
    void truncate(int newPosition);

    @Override
    void close();
}
