package dev.flashj.opencl.model;

import dev.flashj.format.gguf.GgufFile;
import dev.flashj.format.gguf.GgufMetadata;
import dev.flashj.format.hf.HfConfig;
import dev.flashj.format.hf.HfTensorNames;
import dev.flashj.format.safetensors.SafetensorsEntry;
import dev.flashj.format.safetensors.SafetensorsFile;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelFormat;
import dev.flashj.model.RopeConfig;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;
import dev.flashj.tensor.Tensor;
import dev.flashj.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Test-only: the weights and config of a GGUF llama file or a single-file Hugging Face checkpoint,
 * opened without a tokenizer, for as long as the tokenizers have not reached this branch (the model
 * tests feed token ids and never need one). Its tokenizer throws when used.
 */
final class TokenizerlessModelFile implements ModelFile {
    private final Path path;
    private final ModelFormat format;
    private final LlamaConfig config;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> canonical;
    private final AutoCloseable owner;

    private TokenizerlessModelFile(Path path, ModelFormat format, LlamaConfig config, List<Tensor> tensors,
                                   Map<String, Tensor> canonical, AutoCloseable owner) {
        this.path = path;
        this.format = format;
        this.config = config;
        this.tensors = tensors;
        this.canonical = canonical;
        this.owner = owner;
    }

    /** A GGUF file of the llama architecture (interleaved RoPE, no scaling). */
    static ModelFile gguf(Path file) {
        GgufFile g = GgufFile.open(file);
        GgufMetadata m = g.metadata();
        int dim = m.getInt("llama.embedding_length");
        int heads = m.getInt("llama.attention.head_count");
        int headDim = dim / heads;
        LlamaConfig c = new LlamaConfig(dim, m.getInt("llama.feed_forward_length"), m.getInt("llama.block_count"), heads,
                m.findInt("llama.attention.head_count_kv").orElse(heads), headDim,
                m.getArray("tokenizer.ggml.tokens").length(), m.getInt("llama.context_length"),
                m.findFloat("llama.attention.layer_norm_rms_epsilon").orElse(1e-5f),
                new RopeConfig(m.findFloat("llama.rope.freq_base").orElse(10000f), new RopeScaling.None(),
                        RopeStyle.INTERLEAVED, headDim),
                g.tensor(LlamaTensorNames.OUTPUT).isEmpty(), false);
        Map<String, Tensor> byName = new HashMap<>();
        g.tensors().forEach(t -> byName.put(t.name(), t));
        return new TokenizerlessModelFile(file, ModelFormat.GGUF, c, g.tensors(), byName, g);
    }

    /** A Hugging Face directory with config.json and one model.safetensors. */
    static ModelFile huggingFace(Path dir) {
        LlamaConfig c = HfConfig.read(dir.resolve("config.json")).toLlamaConfig();
        SafetensorsFile st = SafetensorsFile.open(dir.resolve("model.safetensors"));
        Map<String, Tensor> byName = new HashMap<>();
        List<Tensor> all = new java.util.ArrayList<>();
        for (SafetensorsEntry e : st.entries()) {
            Tensor t = st.tensor(e);
            all.add(t);
            HfTensorNames.canonical(e.name()).ifPresent(n -> byName.put(n, t));
        }
        return new TokenizerlessModelFile(dir, ModelFormat.HUGGING_FACE, c, all, byName, st);
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public ModelFormat format() {
        return format;
    }

    @Override
    public String architecture() {
        return "llama";
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public Tokenizer tokenizer() {
        return (Tokenizer) java.lang.reflect.Proxy.newProxyInstance(Tokenizer.class.getClassLoader(),
                new Class<?>[]{Tokenizer.class}, (proxy, method, args) -> {
                    throw new UnsupportedOperationException("no tokenizer in this test model file");
                });
    }

    @Override
    public List<Tensor> tensors() {
        return tensors;
    }

    @Override
    public Optional<Tensor> weight(String canonicalName) {
        return Optional.ofNullable(canonical.get(canonicalName));
    }

    @Override
    public Map<String, Object> metadata() {
        return Map.of();
    }

    @Override
    public void close() {
        try {
            owner.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
