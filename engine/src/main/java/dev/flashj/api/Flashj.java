package dev.flashj.api;

import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelLoader;

import java.nio.file.Path;

/**
 * Entry point of the embedding API.
 *
 * <pre>{@code
 * try (Model model = Flashj.load(Path.of("stories260K.gguf"), LoadOptions.defaults())) {
 *     GenerationResult r = model.generate(GenerationRequest.builder("Once upon a time").maxTokens(20).build(),
 *             (id, text) -> System.out.print(text));
 * }
 * }</pre>
 */
public final class Flashj {
    private Flashj() {
    }

    /** Loads a model with {@link LoadOptions#defaults()}. */
    public static Model load(Path path) {
        return load(path, LoadOptions.defaults());
    }

    /**
     * Loads a GGUF file, a Hugging Face checkpoint directory, or a llama2.c {@code .bin} checkpoint
     * (with {@link LoadOptions#withTokenizer(Path)}) onto the chosen device.
     *
     * @throws dev.flashj.FlashjException when the file is unreadable or invalid, or the device cannot run it
     */
    public static Model load(Path path, LoadOptions options) {
        ModelBackends.requireRunnable(options.device());
        ModelFile file = ModelLoader.open(path, options.tokenizer());
        // from here the backend owns the file: it closes it with the model, or when loading fails
        ModelBackends.Loaded loaded = ModelBackends.load(file, options);
        int context = options.effectiveContext(loaded.model().config().contextLength());
        return new Model(file, loaded.model(), loaded.resources(), loaded.deviceDescription(), context,
                options.effectiveMaxBatch());
    }
}
