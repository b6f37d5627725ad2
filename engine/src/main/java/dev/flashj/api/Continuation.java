package dev.flashj.api;

import dev.flashj.sampling.Sampler;
import dev.flashj.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * What follows each model pass of one generation: sample the next token, turn it into text, and
 * decide whether it ends the generation (end-of-generation token, stop string, token limit, full
 * context). Shared by {@link Generation} (one sequence, pulled) and batched generation, so a request
 * produces the same tokens and text either way. Owned by one thread at a time.
 */
final class Continuation {
    private final Tokenizer tokenizer;
    private final int[] promptTokens;
    private final int maxTokens;
    private final int contextLength;
    private final Sampler sampler;
    private final Tokenizer.StreamDecoder decoder;
    private final StopStringFilter stopFilter;
    private final List<Integer> generated = new ArrayList<>();
    private final StringBuilder text = new StringBuilder();
    private FinishReason finishReason;

    /** @param contextLength the most tokens (prompt plus generated) the sequence's cache holds */
    Continuation(Tokenizer tokenizer, int vocabSize, int[] promptTokens, GenerationRequest request, int contextLength) {
        this.tokenizer = tokenizer;
        this.promptTokens = promptTokens;
        this.maxTokens = request.maxTokens();
        this.contextLength = contextLength;
        this.sampler = new Sampler(request.sampling(), vocabSize);
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

    /**
     * Samples the token after {@code logits} (the logits of the last token in the cache) and returns
     * it with the text it releases; afterwards {@link #finishReason()} says whether it was the last.
     */
    GeneratedToken next(float[] logits) {
        int token = sampler.sample(logits);
        sampler.accept(token);
        generated.add(token);
        return new GeneratedToken(token, textAfter(token));
    }

    /** Why the generation ended, or null while it goes on. */
    FinishReason finishReason() {
        return finishReason;
    }

    /** Ends the generation for a reason from outside (cancellation), keeping what was generated. */
    void finish(FinishReason reason) {
        if (finishReason == null) {
            finishReason = reason;
        }
    }

    /** Tokens the cache holds once the last generated token is fed: the prompt and all but that token. */
    int cachedTokens() {
        return promptTokens.length + generated.size() - 1;
    }

    int generatedCount() {
        return generated.size();
    }

    /** The prompt followed by every generated token. */
    int[] allTokens() {
        int[] all = new int[promptTokens.length + generated.size()];
        System.arraycopy(promptTokens, 0, all, 0, promptTokens.length);
        for (int i = 0; i < generated.size(); i++) {
            all[promptTokens.length + i] = generated.get(i);
        }
        return all;
    }

    /** The result once finished. */
    GenerationResult result(Timings timings) {
        int[] ids = generated.stream().mapToInt(Integer::intValue).toArray();
        return new GenerationResult(promptTokens, ids, text.toString(), finishReason, timings);
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
        if (cachedTokens() >= contextLength) {
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
        finishReason = reason;
        return lastText;
    }
}
