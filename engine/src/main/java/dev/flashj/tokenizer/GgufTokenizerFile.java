package dev.flashj.tokenizer;

import dev.flashj.FlashjException;

import java.nio.file.Path;

/** Reads the vocabulary of a GGUF file (needs the GGUF reader; see {@link GgufTokenizers}). */
final class GgufTokenizerFile {
    private GgufTokenizerFile() {
    }

    static Tokenizer load(Path file) {
        throw new FlashjException(file + ": reading a tokenizer from GGUF needs the GGUF reader, which is not"
                + " in this build yet");
    }
}
