package dev.flashj.tokenizer;

import dev.flashj.format.gguf.GgufFile;

import java.nio.file.Path;

/** Reads the vocabulary of a GGUF file (its {@code tokenizer.ggml.*} metadata). */
final class GgufTokenizerFile {
    private GgufTokenizerFile() {
    }

    static Tokenizer load(Path file) {
        // the metadata is parsed onto the heap, so the mapping can be released at once
        try (GgufFile gguf = GgufFile.open(file)) {
            return GgufTokenizers.fromMetadata(gguf.metadata());
        }
    }
}
