package dev.flashj.api;

import dev.flashj.model.ModelFile;
import dev.flashj.tokenizer.Tokenizer;

import java.util.Optional;

/**
 * Finds the chat template a checkpoint carries: the tokenizer's (GGUF {@code tokenizer.chat_template}
 * or tokenizer_config.json {@code chat_template}), else the GGUF key read from the file's metadata
 * (for a tokenizer given separately). Blank counts as absent.
 */
final class ChatTemplateLookup {
    static final String GGUF_KEY = "tokenizer.chat_template";

    private ChatTemplateLookup() {
    }

    static Optional<String> find(ModelFile file, Tokenizer tokenizer) {
        Optional<String> fromTokenizer = tokenizer.chatTemplate().filter(s -> !s.isBlank());
        if (fromTokenizer.isPresent()) {
            return fromTokenizer;
        }
        if (file.metadata().get(GGUF_KEY) instanceof String s && !s.isBlank()) {
            return Optional.of(s);
        }
        return Optional.empty();
    }
}
