package dev.flashj.model;

/**
 * Which elements of a head vector RoPE rotates together. The two are the same model with the
 * Q/K weight rows permuted, so FlashJ never permutes weights: it rotates the way the file is laid out.
 */
public enum RopeStyle {
    /** Pairs (2i, 2i+1): Meta/llama2.c order, and GGUF files of the llama architecture. */
    INTERLEAVED,
    /** Pairs (i, i + headDim/2), "rotate half": Hugging Face checkpoints (and GGUF qwen2). */
    HALF
}
