package dev.flashj.format.hf;

import dev.flashj.FlashjException;
import dev.flashj.format.safetensors.SafetensorsFile;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelFormat;
import dev.flashj.tensor.Tensor;
import dev.flashj.tokenizer.Tokenizer;
import dev.flashj.tokenizer.TokenizerLoader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A Hugging Face checkpoint directory: {@code config.json}, safetensors weights (one file or shards
 * with an index) and usually {@code tokenizer.json}. Weights keep their Hugging Face layout; Q/K rows
 * are in rotate-half order, which {@link dev.flashj.model.RopeStyle#HALF} in the config accounts for.
 */
public final class HfModelFile implements ModelFile {

    static final String CONFIG_FILE = "config.json";
    static final String TOKENIZER_FILE = "tokenizer.json";

    private final Path dir;
    private final HfConfig hfConfig;
    private final LlamaConfig config;
    private final HfWeightFiles weights;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> canonical;
    private final Map<String, Object> metadata;
    private final Tokenizer tokenizer;

    private HfModelFile(Path dir, HfConfig hfConfig, HfWeightFiles weights, List<Tensor> tensors,
                        Map<String, Tensor> canonical, Map<String, Object> metadata, Tokenizer tokenizer) {
        this.dir = dir;
        this.hfConfig = hfConfig;
        this.config = hfConfig.toLlamaConfig();
        this.weights = weights;
        this.tensors = List.copyOf(tensors);
        this.canonical = Collections.unmodifiableMap(canonical);
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tokenizer = tokenizer;
    }

    /** Opens a checkpoint directory; {@code tokenizer} overrides the directory's tokenizer.json. */
    public static ModelFile open(Path dir, Optional<Path> tokenizer) {
        return open(dir, config -> loadTokenizer(dir, tokenizer, config));
    }

    /** Opens a checkpoint directory with the tokenizer the given function builds from the config. */
    static HfModelFile open(Path dir, Function<LlamaConfig, Tokenizer> tokenizerFactory) {
        if (!Files.isDirectory(dir)) {
            throw new FlashjException(dir + ": not a directory");
        }
        Path configFile = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new FlashjException(dir + ": no " + CONFIG_FILE + "; not a Hugging Face checkpoint directory");
        }
        JsonFile configJson = JsonFile.read(configFile);
        HfConfig hfConfig = HfConfig.parse(configJson);
        HfWeightFiles weights = HfWeightFiles.open(dir);
        try {
            List<Tensor> tensors = new ArrayList<>();
            Map<String, Tensor> byName = new LinkedHashMap<>();
            List<String> unsupported = new ArrayList<>();
            for (var e : weights.tensors().values()) {
                if (SafetensorsFile.isSupported(e.entry())) {
                    Tensor t = e.file().tensor(e.entry());
                    tensors.add(t);
                    byName.put(t.name(), t);
                } else {
                    unsupported.add(e.entry().name() + " (" + e.entry().dtype() + ")");
                }
            }
            Map<String, Tensor> canonical = new WeightChecker(dir, hfConfig, weights, byName).check();
            Map<String, Object> metadata = configJson.toMap();
            metadata.put("flashj.weight_files", weights.files().stream()
                    .map(f -> f.path().getFileName().toString()).toList());
            if (!unsupported.isEmpty()) {
                metadata.put("flashj.unused_tensors_of_unsupported_dtype", List.copyOf(unsupported));
            }
            Tokenizer tokenizer = tokenizerFactory.apply(hfConfig.toLlamaConfig());
            return new HfModelFile(dir, hfConfig, weights, tensors, canonical, metadata, tokenizer);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    private static Tokenizer loadTokenizer(Path dir, Optional<Path> override, LlamaConfig config) {
        if (override.isPresent()) {
            return TokenizerLoader.load(override.get(), config.vocabSize());
        }
        if (Files.isRegularFile(dir.resolve(TOKENIZER_FILE))) {
            return TokenizerLoader.fromHfDirectory(dir);
        }
        throw new FlashjException(dir + ": no " + TOKENIZER_FILE + "; pass --tokenizer FILE");
    }

    /** The parsed config.json. */
    public HfConfig hfConfig() {
        return hfConfig;
    }

    @Override
    public Path path() {
        return dir;
    }

    @Override
    public ModelFormat format() {
        return ModelFormat.HUGGING_FACE;
    }

    @Override
    public String architecture() {
        return hfConfig.modelType();
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Every tensor of a dtype FlashJ reads, in file order, under its Hugging Face name. */
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
        return metadata;
    }

    @Override
    public void close() {
        weights.close();
    }

    /** Finds every weight the model needs, checks its dtype and shape, and keys it by canonical name. */
    private record WeightChecker(Path dir, HfConfig config, HfWeightFiles weights, Map<String, Tensor> byName) {

        Map<String, Tensor> check() {
            LlamaConfig c = config.toLlamaConfig();
            long dim = c.dim();
            long vocab = c.vocabSize();
            Map<String, Tensor> out = new LinkedHashMap<>();
            require(out, HfTensorNames.EMBED_TOKENS, vocab, dim);
            require(out, HfTensorNames.NORM, dim);
            if (!c.tiedEmbeddings()) {
                require(out, HfTensorNames.LM_HEAD, vocab, dim);
            }
            for (int l = 0; l < c.numLayers(); l++) {
                require(out, HfTensorNames.layer(l, "input_layernorm.weight"), dim);
                require(out, HfTensorNames.layer(l, "self_attn.q_proj.weight"), c.qDim(), dim);
                require(out, HfTensorNames.layer(l, "self_attn.k_proj.weight"), c.kvDim(), dim);
                require(out, HfTensorNames.layer(l, "self_attn.v_proj.weight"), c.kvDim(), dim);
                require(out, HfTensorNames.layer(l, "self_attn.o_proj.weight"), dim, c.qDim());
                require(out, HfTensorNames.layer(l, "post_attention_layernorm.weight"), dim);
                require(out, HfTensorNames.layer(l, "mlp.gate_proj.weight"), c.hiddenDim(), dim);
                require(out, HfTensorNames.layer(l, "mlp.up_proj.weight"), c.hiddenDim(), dim);
                require(out, HfTensorNames.layer(l, "mlp.down_proj.weight"), dim, c.hiddenDim());
                String[] biases = {"self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias"};
                long[] biasSizes = {c.qDim(), c.kvDim(), c.kvDim()};
                for (int i = 0; i < biases.length; i++) {
                    String name = HfTensorNames.layer(l, biases[i]);
                    if (c.attentionBias()) {
                        require(out, name, biasSizes[i]);
                    } else if (weights.find(name).isPresent()) {
                        throw FlashjException.badFile(fileOf(name), "tensor '" + name + "'",
                                "present but config.json does not enable attention_bias");
                    }
                }
            }
            rejectUnsupportedBiases();
            return out;
        }

        /** Biases the model has no place for would silently change its output. */
        private void rejectUnsupportedBiases() {
            for (String name : weights.tensors().keySet()) {
                if (name.startsWith("model.layers.") && name.endsWith(".bias")
                        && HfTensorNames.canonical(name).isEmpty()) {
                    throw FlashjException.badFile(fileOf(name), "tensor '" + name + "'",
                            "this bias is not supported (only q/k/v projection biases are)");
                }
            }
        }

        private void require(Map<String, Tensor> out, String hfName, long... shape) {
            var located = weights.find(hfName).orElseThrow(() -> new FlashjException(dir
                    + ": required weight " + hfName + " is missing from the safetensors file(s)"));
            Tensor t = byName.get(hfName);
            if (t == null) {
                t = located.file().tensor(located.entry()); // throws, naming the unsupported dtype
            }
            if (!Arrays.equals(t.shape(), shape)) {
                throw FlashjException.badFile(located.file().path(), "tensor '" + hfName + "'",
                        "shape " + Arrays.toString(t.shape()) + " does not match config.json, expected "
                                + Arrays.toString(shape));
            }
            out.put(HfTensorNames.canonical(hfName).orElseThrow(), t);
        }

        private Path fileOf(String name) {
            return weights.find(name).map(l -> l.file().path()).orElse(dir);
        }
    }

    /** The canonical names this file provides (for tests and display). */
    List<String> canonicalNames() {
        return List.copyOf(canonical.keySet());
    }
}
