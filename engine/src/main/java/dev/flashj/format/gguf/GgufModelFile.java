package dev.flashj.format.gguf;

import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelFormat;
import dev.flashj.tensor.Tensor;
import dev.flashj.tokenizer.GgufTokenizers;
import dev.flashj.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A LLaMA-family model in one GGUF file: config from the {@code {arch}.*} keys, tokenizer from the
 * {@code tokenizer.ggml.*} keys, weights under their GGUF names (which are FlashJ's canonical names).
 */
public final class GgufModelFile implements ModelFile {
    private final GgufFile gguf;
    private final String architecture;
    private final LlamaConfig config;
    private final Tokenizer tokenizer;

    private GgufModelFile(GgufFile gguf, String architecture, LlamaConfig config, Tokenizer tokenizer) {
        this.gguf = gguf;
        this.architecture = architecture;
        this.config = config;
        this.tokenizer = tokenizer;
    }

    /** Opens and checks a GGUF model: supported architecture, complete metadata, every weight present and shaped. */
    public static ModelFile open(Path path) {
        GgufFile gguf = GgufFile.open(path);
        try {
            String arch = GgufModelConfig.architecture(gguf);
            LlamaConfig config = GgufModelConfig.read(gguf, arch);
            GgufWeightCheck.check(gguf, config);
            Tokenizer tokenizer = GgufTokenizers.fromMetadata(gguf.metadata());
            return new GgufModelFile(gguf, arch, config, tokenizer);
        } catch (RuntimeException | Error e) {
            gguf.close();
            throw e;
        }
    }

    /** The underlying GGUF file (metadata with value types, version, alignment). */
    public GgufFile gguf() {
        return gguf;
    }

    @Override
    public Path path() {
        return gguf.path();
    }

    @Override
    public ModelFormat format() {
        return ModelFormat.GGUF;
    }

    @Override
    public String architecture() {
        return architecture;
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public List<Tensor> tensors() {
        return gguf.tensors();
    }

    @Override
    public Optional<Tensor> weight(String canonicalName) {
        return gguf.tensor(canonicalName);
    }

    /** The GGUF key/values, in file order, as {@link GgufMetadata#asMap()} stores them. */
    @Override
    public Map<String, Object> metadata() {
        return gguf.metadata().asMap();
    }

    @Override
    public void close() {
        gguf.close();
    }

    @Override
    public String toString() {
        return gguf.path() + " (GGUF " + architecture + ", " + config.numLayers() + " layers, dim " + config.dim() + ")";
    }
}
