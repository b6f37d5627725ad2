package dev.flashj.model;

/** How RoPE frequencies are stretched for contexts longer than the model was trained on. */
public sealed interface RopeScaling {

    /** Plain RoPE. */
    record None() implements RopeScaling {
    }

    /** Positions divided by {@code factor} (linear position interpolation). */
    record Linear(float factor) implements RopeScaling {
    }

    /** LLaMA 3.1's frequency-dependent scaling. */
    record Llama3(float factor, float lowFreqFactor, float highFreqFactor, int originalMaxPositions)
            implements RopeScaling {
    }
}
