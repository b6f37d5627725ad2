package dev.flashj.tokenizer;

import dev.flashj.FlashjException;
import dev.flashj.format.gguf.GgufMetadata;

/** Placeholder until the tokenizers land: builds a tokenizer from GGUF {@code tokenizer.ggml.*} metadata. */
public final class GgufTokenizers {
    private GgufTokenizers() {
    }

    public static Tokenizer fromMetadata(GgufMetadata metadata) {
        throw new FlashjException(metadata.file() + ": GGUF tokenizers are not implemented yet");
    }
}
