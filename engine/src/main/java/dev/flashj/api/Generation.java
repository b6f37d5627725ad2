package dev.flashj.api;

import dev.flashj.FlashjException;
import dev.flashj.sampling.Sampler;
import dev.flashj.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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
    private final Tokenizer tokenizer;
    private final int[] promptTokens;
    private final int maxTokens;
    private final Sampler sampler;
    private final Tokenizer.StreamDecoder decoder;
    private final StopStringFilter stopFilter;
    private final int[] single = new int[1];

    private final List<Integer> generated = new ArrayList<>();
    private final StringBuilder text = new StringBuilder();
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
        this.tokenizer = session.model().tokenizer();
        this.promptTokens = promptTokens;
        this.maxTokens = request.maxTokens();
        this.sampler = new Sampler(request.sampling(), session.model().config().vocabSize());
        this.decoder = tokenizer.newStreamDecoder();
        // the decoder sees the last prompt token first (its text is not output), so it knows whether
        // the continuation starts the text (after a lone BOS, a SentencePiece leading space is dropped)
        decoder.append(promptTokens[promptTokens.length - 1]);
        this.stopFilter = new StopStringFilter(request.stopStrings());
        int penaltyWindow = request.sampling().repeatLastN();
        for (int i = Math.max(0, promptTokens.length - penaltyWindow); i < promptTokens.length; i++) {
            sampler.accept(promptTokens[i]);
        }
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
            int token = sampler.sample(logits);
            sampler.accept(token);
            decodeNanos += System.nanoTime() - t0;
            previousToken = token;
            generated.add(token);
            return new GeneratedToken(token, textAfter(token));
        } catch (RuntimeException e) {
            abandon();
            throw e;
        }
    }

    /** Decides whether {@code token} ends the generation and returns the text it releases. */
    private String textAfter(int token) {
        if (tokenizer.isEndOfGeneration(token)) {
            String rest = stopFilter.append(decoder.flush()) + stopFilter.flush();
            return finishWith(stopFilter.stopped() ? FinishReason.STOP_STRING : FinishReason.STOP_TOKEN, rest);
        }
        String released = stopFilter.append(decoder.append(token));
        if (stopFilter.stopped()) {
            return finishWith(FinishReason.STOP_STRING, released);
        }
        if (generated.size() >= maxTokens) {
            return finishWith(FinishReason.LENGTH, released + endOfText());
        }
        if (session.cachedTokens() >= session.contextLength()) {
            return finishWith(FinishReason.CONTEXT, released + endOfText());
        }
        text.append(released);
        return released;
    }

    /** Text still inside the decoder or the stop filter, at a natural end. */
    private String endOfText() {
        String tail = stopFilter.append(decoder.flush());
        return stopFilter.stopped() ? tail : tail + stopFilter.flush();
    }

    private String finishWith(FinishReason reason, String lastText) {
        text.append(lastText);
        finish(reason);
        return lastText;
    }

    private void finish(FinishReason reason) {
        finishReason = reason;
        int[] ids = generated.stream().mapToInt(Integer::intValue).toArray();
        result = new GenerationResult(promptTokens, ids, text.toString(), reason,
                new Timings(promptEvaluated, promptNanos / 1e6, ids.length, decodeNanos / 1e6));
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
