package dev.flashj.api;

import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelFormat;
import dev.flashj.tensor.Tensor;
import dev.flashj.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Wraps a {@link ScriptedLanguageModel} into a {@link Model} (with an empty stand-in checkpoint). */
final class FixtureModels {
    private FixtureModels() {
    }

    static Model wrap(ScriptedLanguageModel lm, int contextLength, Map<String, Object> metadata) {
        ModelFile file = new ModelFile() {
            @Override
            public Path path() {
                return Path.of("fixture.gguf");
            }

            @Override
            public ModelFormat format() {
                return ModelFormat.GGUF;
            }

            @Override
            public String architecture() {
                return "llama";
            }

            @Override
            public LlamaConfig config() {
                return lm.config();
            }

            @Override
            public Tokenizer tokenizer() {
                return lm.tokenizer();
            }

            @Override
            public List<Tensor> tensors() {
                return List.of();
            }

            @Override
            public Optional<Tensor> weight(String canonicalName) {
                return Optional.empty();
            }

            @Override
            public Map<String, Object> metadata() {
                return metadata;
            }

            @Override
            public void close() {
            }
        };
        return new Model(file, lm, () -> { }, lm.deviceDescription(), contextLength);
    }

    static Model wrap(ScriptedLanguageModel lm) {
        return wrap(lm, lm.config().contextLength(), Map.of());
    }
}
