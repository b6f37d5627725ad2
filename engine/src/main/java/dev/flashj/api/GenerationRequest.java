package dev.flashj.api;

import dev.flashj.FlashjException;
import dev.flashj.kv.EvictionPolicy;
import dev.flashj.sampling.SamplingParams;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What to generate. Build one with {@link #builder(String)}:
 * {@code GenerationRequest.builder("Once upon a time").maxTokens(20).sampling(SamplingParams.greedy()).build()}.
 *
 * @param prompt       the text to continue; BOS is prepended when the tokenizer asks for it
 * @param maxTokens    the most tokens to generate (at least 1)
 * @param sampling     how to pick tokens
 * @param stopStrings  generation stops when the text contains one of these; it is not part of the result
 * @param parseSpecial special tokens spelled in the prompt ("&lt;|im_start|&gt;") become their ids
 * @param kvPolicy     what the KV cache of a generation in its own cache ({@link Model#generate}) evicts
 *                     once over its budget; {@link EvictionPolicy.None} keeps everything
 */
public record GenerationRequest(String prompt, int maxTokens, SamplingParams sampling, List<String> stopStrings,
                                boolean parseSpecial, EvictionPolicy kvPolicy) {

    /** The default token limit, as the {@code generate} command's {@code -n}. */
    public static final int DEFAULT_MAX_TOKENS = 256;

    public GenerationRequest {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(sampling, "sampling");
        if (maxTokens < 1) {
            throw new FlashjException("maxTokens must be >= 1, was " + maxTokens);
        }
        Objects.requireNonNull(kvPolicy, "kvPolicy");
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new FlashjException("stop strings must not be empty");
            }
        }
    }

    /** A request that keeps its whole KV cache. */
    public GenerationRequest(String prompt, int maxTokens, SamplingParams sampling, List<String> stopStrings,
                             boolean parseSpecial) {
        this(prompt, maxTokens, sampling, stopStrings, parseSpecial, new EvictionPolicy.None());
    }

    /** A builder with the defaults: 256 tokens, {@link SamplingParams#defaults()}, no stop strings, special tokens parsed. */
    public static Builder builder(String prompt) {
        return new Builder(prompt);
    }

    /** Mutable builder for {@link GenerationRequest}. */
    public static final class Builder {
        private final String prompt;
        private int maxTokens = DEFAULT_MAX_TOKENS;
        private SamplingParams sampling;
        private final List<String> stopStrings = new ArrayList<>();
        private boolean parseSpecial = true;
        private EvictionPolicy kvPolicy = new EvictionPolicy.None();

        private Builder(String prompt) {
            this.prompt = Objects.requireNonNull(prompt, "prompt");
        }

        public Builder maxTokens(int value) {
            this.maxTokens = value;
            return this;
        }

        public Builder sampling(SamplingParams value) {
            this.sampling = Objects.requireNonNull(value, "sampling");
            return this;
        }

        /** Adds stop strings (call again to add more). */
        public Builder stop(String... values) {
            stopStrings.addAll(List.of(values));
            return this;
        }

        public Builder stop(List<String> values) {
            stopStrings.addAll(values);
            return this;
        }

        /** The KV eviction policy, e.g. {@code new EvictionPolicy.SnapKv(1024)}. */
        public Builder kvPolicy(EvictionPolicy value) {
            this.kvPolicy = Objects.requireNonNull(value, "kvPolicy");
            return this;
        }

        public Builder parseSpecial(boolean value) {
            this.parseSpecial = value;
            return this;
        }

        public GenerationRequest build() {
            return new GenerationRequest(prompt, maxTokens, sampling != null ? sampling : SamplingParams.defaults(),
                    stopStrings, parseSpecial, kvPolicy);
        }
    }
}
