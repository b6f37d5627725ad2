package dev.flashj.api;

import java.util.Arrays;
import java.util.Objects;

/**
 * A finished generation.
 *
 * @param promptTokens the prompt's token ids, BOS included when it was added
 * @param tokens       the generated ids, in order; with {@link FinishReason#STOP_TOKEN} the last one is
 *                     the end-of-generation token (which adds no text)
 * @param text         the generated text, stop string excluded
 * @param finishReason why it ended
 * @param timings      how long it took
 */
public record GenerationResult(int[] promptTokens, int[] tokens, String text, FinishReason finishReason,
                               Timings timings) {

    public GenerationResult {
        promptTokens = promptTokens.clone();
        tokens = tokens.clone();
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(finishReason, "finishReason");
        Objects.requireNonNull(timings, "timings");
    }

    /** A copy of the prompt ids. */
    @Override
    public int[] promptTokens() {
        return promptTokens.clone();
    }

    /** A copy of the generated ids. */
    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationResult r && Arrays.equals(promptTokens, r.promptTokens)
                && Arrays.equals(tokens, r.tokens) && text.equals(r.text) && finishReason == r.finishReason
                && timings.equals(r.timings);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(promptTokens), Arrays.hashCode(tokens), text, finishReason, timings);
    }

    @Override
    public String toString() {
        return "GenerationResult[promptTokens=" + Arrays.toString(promptTokens) + ", tokens=" + Arrays.toString(tokens)
                + ", text=" + text + ", finishReason=" + finishReason + ", timings=" + timings + "]";
    }
}
