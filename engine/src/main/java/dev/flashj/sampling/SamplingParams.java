package dev.flashj.sampling;

import dev.flashj.FlashjException;

import java.util.concurrent.ThreadLocalRandom;

/**
 * How the next token is chosen from the logits, with llama.cpp semantics. Applied in this order:
 * repeat penalty, greedy when {@code temperature == 0}, top-k, softmax with temperature, top-p,
 * min-p, then a seeded random draw.
 *
 * <p>Validation lives here only: {@link #requireValidTemperature(float)} and its siblings are what
 * the constructor runs, and what a command line calls to reject one option at a time.
 *
 * @param temperature   divides the logits before softmax; 0 means greedy (argmax)
 * @param topK          keep the K most likely tokens; 0 turns it off
 * @param topP          keep the smallest set of most likely tokens whose probability reaches P; 1 turns it off
 * @param minP          drop tokens less likely than {@code minP} times the most likely one; 0 turns it off
 * @param repeatPenalty for tokens among the last {@code repeatLastN}: positive logits are divided by it,
 *                      negative ones multiplied; 1 turns it off
 * @param repeatLastN   how many recent tokens (prompt included) the penalty looks at; 0 turns it off
 * @param seed          seeds the random draw: the same seed gives the same tokens
 */
public record SamplingParams(
        float temperature,
        int topK,
        float topP,
        float minP,
        float repeatPenalty,
        int repeatLastN,
        long seed) {

    /** llama.cpp's default temperature. */
    public static final float DEFAULT_TEMPERATURE = 0.8f;
    /** llama.cpp's default top-k. */
    public static final int DEFAULT_TOP_K = 40;
    /** llama.cpp's default top-p. */
    public static final float DEFAULT_TOP_P = 0.95f;
    /** llama.cpp's default min-p. */
    public static final float DEFAULT_MIN_P = 0.05f;
    /** No repeat penalty by default, as in current llama.cpp. */
    public static final float DEFAULT_REPEAT_PENALTY = 1.0f;
    /** llama.cpp's default penalty window. */
    public static final int DEFAULT_REPEAT_LAST_N = 64;

    public SamplingParams {
        requireValidTemperature(temperature);
        requireValidTopK(topK);
        requireValidTopP(topP);
        requireValidMinP(minP);
        requireValidRepeatPenalty(repeatPenalty);
        requireValidRepeatLastN(repeatLastN);
    }

    /** llama.cpp-like defaults (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no penalty) with a random seed. */
    public static SamplingParams defaults() {
        return new SamplingParams(DEFAULT_TEMPERATURE, DEFAULT_TOP_K, DEFAULT_TOP_P, DEFAULT_MIN_P,
                DEFAULT_REPEAT_PENALTY, DEFAULT_REPEAT_LAST_N, randomSeed());
    }

    /** Always the most likely token (no penalty, no randomness). */
    public static SamplingParams greedy() {
        return new SamplingParams(0f, 0, 1f, 0f, 1f, DEFAULT_REPEAT_LAST_N, 0L);
    }

    /** A fresh non-deterministic seed, for callers that want "random". */
    public static long randomSeed() {
        return ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE;
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }

    public SamplingParams withTemperature(float value) {
        return new SamplingParams(value, topK, topP, minP, repeatPenalty, repeatLastN, seed);
    }

    public SamplingParams withTopK(int value) {
        return new SamplingParams(temperature, value, topP, minP, repeatPenalty, repeatLastN, seed);
    }

    public SamplingParams withTopP(float value) {
        return new SamplingParams(temperature, topK, value, minP, repeatPenalty, repeatLastN, seed);
    }

    public SamplingParams withMinP(float value) {
        return new SamplingParams(temperature, topK, topP, value, repeatPenalty, repeatLastN, seed);
    }

    public SamplingParams withRepeatPenalty(float value) {
        return new SamplingParams(temperature, topK, topP, minP, value, repeatLastN, seed);
    }

    public SamplingParams withRepeatLastN(int value) {
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, value, seed);
    }

    public SamplingParams withSeed(long value) {
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, value);
    }

    /** For display: "temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, repeat-penalty 1.0 (last 64), seed 42". */
    public String describe() {
        if (isGreedy() && repeatPenalty == 1f) {
            return "greedy (temperature 0)";
        }
        return "temperature " + temperature + ", top-k " + topK + ", top-p " + topP + ", min-p " + minP
                + ", repeat-penalty " + repeatPenalty + " (last " + repeatLastN + "), seed " + seed;
    }

    public static void requireValidTemperature(float value) {
        if (!(value >= 0f) || Float.isInfinite(value)) {
            throw bad("temperature", "must be >= 0", value);
        }
    }

    public static void requireValidTopK(int value) {
        if (value < 0) {
            throw bad("topK", "must be >= 0 (0 = off)", value);
        }
    }

    public static void requireValidTopP(float value) {
        if (!(value > 0f && value <= 1f)) {
            throw bad("topP", "must be in (0, 1] (1 = off)", value);
        }
    }

    public static void requireValidMinP(float value) {
        if (!(value >= 0f && value <= 1f)) {
            throw bad("minP", "must be in [0, 1] (0 = off)", value);
        }
    }

    public static void requireValidRepeatPenalty(float value) {
        if (!(value > 0f) || Float.isInfinite(value)) {
            throw bad("repeatPenalty", "must be > 0 (1 = off)", value);
        }
    }

    public static void requireValidRepeatLastN(int value) {
        if (value < 0) {
            throw bad("repeatLastN", "must be >= 0 (0 = off)", value);
        }
    }

    private static FlashjException bad(String name, String rule, Object value) {
        return new FlashjException(name + " " + rule + ", was " + value);
    }
}
