package dev.flashj.tokenizer;

import dev.flashj.FlashjException;

import java.nio.file.Path;

/** Placeholder until the tokenizers land: loads tokenizers from files and checkpoint directories. */
public final class TokenizerLoader {
    private TokenizerLoader() {
    }

    /**
     * Loads a tokenizer file: a Hugging Face {@code tokenizer.json}, a GGUF file's vocabulary, or a
     * llama2.c {@code tokenizer.bin} (which does not store its size: {@code vocabSize} gives it).
     */
    public static Tokenizer load(Path file, int vocabSize) {
        throw new FlashjException(file + ": tokenizer loading is not implemented yet");
    }

    /** Loads {@code tokenizer.json} (with {@code tokenizer_config.json} when present) from a checkpoint directory. */
    public static Tokenizer fromHfDirectory(Path dir) {
        throw new FlashjException(dir + ": tokenizer loading is not implemented yet");
    }
}
