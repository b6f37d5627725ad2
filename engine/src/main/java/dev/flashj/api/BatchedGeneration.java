package dev.flashj.api;

import dev.flashj.FlashjException;
import dev.flashj.batch.BatchSequence;

/**
 * A {@link GenerationRequest} as a {@link BatchSequence}: the scheduler brings the logits, the
 * request's own {@link Continuation} samples (with its own seed) and decides when it ends, and the
 * {@link BatchHandle} receives the result. Called on the scheduler's thread only.
 */
final class BatchedGeneration implements BatchSequence {
    private final BatchHandle handle;
    private final TokenListener listener;
    private final int[] promptTokens;
    private final int capacity;
    private final Continuation continuation;
    private final long submittedNanos = System.nanoTime();
    private long firstTokenNanos;

    BatchedGeneration(Model model, BatchHandle handle, TokenListener listener, int[] promptTokens, int capacity) {
        this.handle = handle;
        this.listener = listener;
        this.promptTokens = promptTokens;
        this.capacity = capacity;
        this.continuation = new Continuation(model.tokenizer(), model.config().vocabSize(), promptTokens,
                handle.request(), capacity);
    }

    @Override
    public int[] promptTokens() {
        return promptTokens;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public int next(float[] logits) {
        if (continuation.generatedCount() == 0) {
            firstTokenNanos = System.nanoTime();
        }
        GeneratedToken token = continuation.next(logits);
        listener.onToken(token.id(), token.text());
        return token.id();
    }

    @Override
    public boolean finished() {
        if (continuation.finishReason() == null && handle.cancelRequested()) {
            continuation.finish(FinishReason.CANCELLED);
        }
        return continuation.finishReason() != null;
    }

    @Override
    public void completed() {
        long now = System.nanoTime();
        long first = firstTokenNanos == 0 ? now : firstTokenNanos;
        handle.complete(continuation.result(new Timings(promptTokens.length, (first - submittedNanos) / 1e6,
                continuation.generatedCount(), (now - first) / 1e6)));
    }

    @Override
    public void failed(RuntimeException cause) {
        handle.fail(cause instanceof FlashjException ? cause
                : new FlashjException("batched generation failed: " + cause, cause));
    }
}
