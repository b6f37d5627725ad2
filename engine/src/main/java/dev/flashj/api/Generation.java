package dev.flashj.api;

import dev.flashj.FlashjException;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * One generation in progress, pulled token by token: {@code while (g.hasNext()) print(g.next().text())}.
 * Each {@link #hasNext()} that needs a new token runs the model once. {@link #cancel()} may be called
 * from any thread; everything else belongs to one thread at a time. Closing an unfinished generation
 * cancels it.
 *
 * <p>The prompt is fed as one batch; then one token at a time until an end-of-generation token, a
 * stop string, the token limit, a full context, or cancellation.
 */
public final class Generation implements Iterator<GeneratedToken>, AutoCloseable {
    private final Session session;
    private final boolean ownsSession;
    private final int[] promptTokens;
    private final Continuation continuation;
    private final int[] single = new int[1];

    private volatile boolean cancelRequested;
    private boolean started;
    private GeneratedToken lookahead;
    private FinishReason finishReason;
    private GenerationResult result;
    private int previousToken;

    private int promptEvaluated;
    private long promptNanos;
    private long decodeNanos;

    Generation(Session session, boolean ownsSession, int[] promptTokens, GenerationRequest request) {
        this.session = session;
        this.ownsSession = ownsSession;
        this.promptTokens = promptTokens;
        this.continuation = new Continuation(session.model().tokenizer(), session.model().config().vocabSize(),
                promptTokens, request, session.contextLength());
    }

    /** Bytes of KV cache after the last model pass (see {@link Session#kvBytes()}). */
    public long kvBytes() {
        return session.kvBytes();
    }

    /** Asks the generation to stop before its next token; safe from any thread. */
    public void cancel() {
        cancelRequested = true;
    }

    /** True once no more tokens will come. */
    public boolean isFinished() {
        return finishReason != null && lookahead == null;
    }

    @Override
    public boolean hasNext() {
        if (lookahead == null && finishReason == null) {
            lookahead = step();
        }
        return lookahead != null;
    }

    @Override
    public GeneratedToken next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the generation has finished (" + finishReason + ")");
        }
        GeneratedToken out = lookahead;
        lookahead = null;
        return out;
    }

    /** The remaining tokens as a sequential stream. */
    public Stream<GeneratedToken> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL),
                false);
    }

    /** Runs to the end (consuming any tokens not yet pulled) and returns the result. */
    public GenerationResult result() {
        while (hasNext()) {
            next();
        }
        return finishedResult();
    }

    /** Cancels the generation when it is unfinished, and releases what it holds. */
    @Override
    public void close() {
        if (finishReason == null) {
            cancel();
            result();
        } else if (ownsSession) {
            session.close();
        }
    }

    /** Produces the next token, or null when the generation ends without one (cancelled). */
    private GeneratedToken step() {
        if (cancelRequested) {
            finish(FinishReason.CANCELLED);
            return null;
        }
        try {
            float[] logits;
            if (!started) {
                started = true;
                long t0 = System.nanoTime();
                Session.Prefill prefill = session.prefill(promptTokens);
                promptNanos = System.nanoTime() - t0;
                promptEvaluated = prefill.evaluated();
                logits = prefill.logits();
            } else {
                long t0 = System.nanoTime();
                single[0] = previousToken;
                logits = session.feed(single);
                decodeNanos += System.nanoTime() - t0;
            }
            long t0 = System.nanoTime();
            GeneratedToken token = continuation.next(logits);
            decodeNanos += System.nanoTime() - t0;
            previousToken = token.id();
            if (continuation.finishReason() != null) {
                finish(continuation.finishReason());
            }
            return token;
        } catch (RuntimeException e) {
            abandon();
            throw e;
        }
    }

    private void finish(FinishReason reason) {
        finishReason = reason;
        continuation.finish(reason);
        result = continuation.result(new Timings(promptEvaluated, promptNanos / 1e6, continuation.generatedCount(),
                decodeNanos / 1e6));
        session.generationEnded(this);
        if (ownsSession) {
            session.close();
        }
    }

    /** A failure mid-way (model closed, bad id): nothing more can come from this generation. */
    private void abandon() {
        finishReason = FinishReason.CANCELLED;
        session.generationEnded(this);
        session.forgetCache();
        if (ownsSession) {
            session.close();
        }
    }

    private GenerationResult finishedResult() {
        if (result == null) {
            throw new FlashjException("the generation failed before it finished");
        }
        return result;
    }
}
