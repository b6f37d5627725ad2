package dev.flashj.format.gguf;

import dev.flashj.FlashjException;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.RopeConfig;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Reads a {@link LlamaConfig} from the {@code {arch}.*} keys of a GGUF file, the way llama.cpp
 * names them, with llama.cpp's defaults for optional keys.
 */
final class GgufModelConfig {
    /** Architectures FlashJ runs, all LLaMA-shaped; qwen2 GGUFs keep Hugging Face's rotate-half layout. */
    static final List<String> SUPPORTED_ARCHITECTURES = List.of("llama", "mistral", "qwen2");

    private GgufModelConfig() {
    }

    static String architecture(GgufFile gguf) {
        String arch = gguf.metadata().getString("general.architecture");
        if (!SUPPORTED_ARCHITECTURES.contains(arch)) {
            throw FlashjException.badFile(gguf.path(), "general.architecture", "unsupported architecture '" + arch
                    + "' (FlashJ runs " + String.join(", ", SUPPORTED_ARCHITECTURES) + ")");
        }
        return arch;
    }

    static LlamaConfig read(GgufFile gguf, String arch) {
        GgufMetadata m = gguf.metadata();
        Path file = gguf.path();
        int dim = positive(m, arch + ".embedding_length");
        int numLayers = positive(m, arch + ".block_count");
        int hiddenDim = positive(m, arch + ".feed_forward_length");
        int numHeads = positive(m, arch + ".attention.head_count");
        String kvKey = arch + ".attention.head_count_kv";
        int numKvHeads = m.has(kvKey) ? positive(m, kvKey) : numHeads;
        if (numHeads % numKvHeads != 0) {
            throw FlashjException.badFile(file, kvKey, numKvHeads + " key/value heads do not divide "
                    + numHeads + " query heads");
        }
        String headDimKey = arch + ".attention.key_length";
        int headDim;
        if (m.has(headDimKey)) {
            headDim = positive(m, headDimKey);
        } else if (dim % numHeads == 0) {
            headDim = dim / numHeads;
        } else {
            throw FlashjException.badFile(file, arch + ".attention.head_count", numHeads
                    + " heads do not divide embedding_length " + dim + " (and no key_length is given)");
        }
        int contextLength = positive(m, arch + ".context_length");
        float eps = m.findFloat(arch + ".attention.layer_norm_rms_epsilon").orElse(1e-5f);
        if (!(eps > 0) || !Float.isFinite(eps)) {
            throw FlashjException.badFile(file, arch + ".attention.layer_norm_rms_epsilon", "must be positive, is " + eps);
        }
        int vocabSize = vocabSize(m, arch);

        float theta = m.findFloat(arch + ".rope.freq_base").orElse(10000f);
        if (!(theta > 0) || !Float.isFinite(theta)) {
            throw FlashjException.badFile(file, arch + ".rope.freq_base", "must be positive, is " + theta);
        }
        String rotaryKey = arch + ".rope.dimension_count";
        int rotaryDims = m.has(rotaryKey) ? positive(m, rotaryKey) : headDim;
        if (rotaryDims > headDim || rotaryDims % 2 != 0) {
            throw FlashjException.badFile(file, rotaryKey, rotaryDims + " must be even and at most the head size "
                    + headDim);
        }
        RopeStyle style = arch.equals("qwen2") ? RopeStyle.HALF : RopeStyle.INTERLEAVED;
        RopeConfig rope = new RopeConfig(theta, ropeScaling(m, arch), style, rotaryDims);

        boolean tied = gguf.tensor(LlamaTensorNames.OUTPUT).isEmpty();
        boolean attentionBias = gguf.tensor(LlamaTensorNames.queryBias(0)).isPresent();
        return new LlamaConfig(dim, hiddenDim, numLayers, numHeads, numKvHeads, headDim, vocabSize, contextLength,
                eps, rope, tied, attentionBias);
    }

    private static int vocabSize(GgufMetadata m, String arch) {
        String key = arch + ".vocab_size";
        if (m.has(key)) {
            return positive(m, key);
        }
        if (m.has("tokenizer.ggml.tokens")) {
            int n = m.getArray("tokenizer.ggml.tokens").length();
            if (n > 0) {
                return n;
            }
        }
        throw FlashjException.badFile(m.file(), "tokenizer.ggml.tokens", "missing or empty (and no " + key
                + "), so the vocabulary size is unknown");
    }

    /**
     * Linear scaling from {@code rope.scaling.type}/{@code rope.scaling.factor} (or the older
     * {@code rope.scale_linear}). LLaMA 3 scaling arrives as a {@code rope_freqs.weight} tensor, which
     * this config does not describe.
     */
    private static RopeScaling ropeScaling(GgufMetadata m, String arch) {
        String typeKey = arch + ".rope.scaling.type";
        String factorKey = arch + ".rope.scaling.factor";
        Optional<String> type = m.findString(typeKey);
        if (type.isEmpty()) {
            Optional<Float> legacy = m.findFloat(arch + ".rope.scale_linear");
            if (legacy.isPresent() && legacy.get() != 1f) {
                return linear(m, arch + ".rope.scale_linear", legacy.get());
            }
            return new RopeScaling.None();
        }
        return switch (type.get()) {
            case "none" -> new RopeScaling.None();
            case "linear" -> linear(m, factorKey, m.getFloat(factorKey));
            default -> throw FlashjException.badFile(m.file(), typeKey, "unsupported RoPE scaling '" + type.get()
                    + "' (FlashJ supports none and linear)");
        };
    }

    private static RopeScaling linear(GgufMetadata m, String key, float factor) {
        if (!(factor > 0) || !Float.isFinite(factor)) {
            throw FlashjException.badFile(m.file(), key, "scaling factor must be positive, is " + factor);
        }
        return new RopeScaling.Linear(factor);
    }

    private static int positive(GgufMetadata m, String key) {
        int v = m.getInt(key);
        if (v <= 0) {
            throw FlashjException.badFile(m.file(), key, "must be positive, is " + v);
        }
        return v;
    }
}
