package dev.flashj.model;

/** The on-disk formats FlashJ reads. */
public enum ModelFormat {
    GGUF,
    HUGGING_FACE,
    LLAMA2C
}
