package dev.flashj.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelFormat;
import dev.flashj.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the chat template a checkpoint carries: the tokenizer's own when it has one, else GGUF
 * {@code tokenizer.chat_template}, or
 * {@code chat_template} in a Hugging Face directory's tokenizer_config.json (a string, or a list
 * of {name, template} where "default" wins). Absent or unreadable means "no template".
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
        if (file.format() == ModelFormat.HUGGING_FACE) {
            return fromTokenizerConfig(file.path().resolve("tokenizer_config.json"));
        }
        return Optional.empty();
    }

    private static Optional<String> fromTokenizerConfig(Path config) {
        if (!Files.isRegularFile(config)) {
            return Optional.empty();
        }
        try {
            JsonNode template = new ObjectMapper().readTree(config.toFile()).path("chat_template");
            if (template.isTextual()) {
                return Optional.of(template.asText());
            }
            if (template.isArray()) {
                String first = null;
                for (JsonNode entry : template) {
                    String text = entry.path("template").asText(null);
                    if (text != null && "default".equals(entry.path("name").asText())) {
                        return Optional.of(text);
                    }
                    first = first == null ? text : first;
                }
                return Optional.ofNullable(first);
            }
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // a broken config only costs the template: chat falls back to plain
        }
    }
}
