package dev.flashj.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.RopeConfig;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The fields of a Hugging Face {@code config.json} that a LLaMA-family model needs, with transformers'
 * defaults applied. Accepts both the older {@code rope_theta}/{@code rope_scaling} keys and the newer
 * {@code rope_parameters} object.
 *
 * @param architecture          the transformers class, e.g. "LlamaForCausalLM"
 * @param slidingWindow         the attention window when the model uses one (Mistral), else empty
 */
public record HfConfig(
        String architecture,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        int vocabSize,
        int maxPositionEmbeddings,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        OptionalInt slidingWindow) {

    /** Supported transformers classes and the short architecture name FlashJ reports for each. */
    private static final Map<String, String> ARCHITECTURES = Map.of(
            "LlamaForCausalLM", "llama",
            "MistralForCausalLM", "mistral",
            "Qwen2ForCausalLM", "qwen2");

    private static final double DEFAULT_ROPE_THETA = 10000.0;

    /** Reads and validates {@code config.json}. */
    public static HfConfig read(Path configJson) {
        return parse(JsonFile.read(configJson));
    }

    /** Validates an already parsed config object; {@code file} names it in messages. */
    public static HfConfig parse(Path file, JsonNode root) {
        return parse(JsonFile.of(file, root));
    }

    static HfConfig parse(JsonFile json) {
        String architecture = architecture(json);
        int hidden = json.positiveInt("hidden_size");
        int intermediate = json.positiveInt("intermediate_size");
        int layers = json.positiveInt("num_hidden_layers");
        int heads = json.positiveInt("num_attention_heads");
        int kvHeads = json.checkPositive("num_key_value_heads",
                json.optionalInt("num_key_value_heads").orElse(heads));
        if (heads % kvHeads != 0) {
            throw json.error("num_key_value_heads", kvHeads + " does not divide num_attention_heads " + heads);
        }
        int headDim;
        if (json.has("head_dim")) {
            headDim = json.positiveInt("head_dim");
        } else if (hidden % heads == 0) {
            headDim = hidden / heads;
        } else {
            throw json.error("head_dim", "missing, and hidden_size " + hidden
                    + " is not a multiple of num_attention_heads " + heads);
        }
        if (headDim % 2 != 0) {
            throw json.error("head_dim", "must be even for rotary embeddings, found " + headDim);
        }
        if ((long) heads * headDim > Integer.MAX_VALUE) {
            throw json.error("head_dim", "num_attention_heads * head_dim overflows: " + heads + " * " + headDim);
        }
        int vocab = json.positiveInt("vocab_size");
        int maxPositions = json.positiveInt("max_position_embeddings");
        double eps = json.positiveDouble("rms_norm_eps");

        String act = json.optionalString("hidden_act").orElse("silu");
        if (!act.equals("silu")) {
            throw json.error("hidden_act", "'" + act + "' is not supported (FlashJ implements SwiGLU with silu)");
        }
        if (json.optionalBoolean("mlp_bias").orElse(false)) {
            throw json.error("mlp_bias", "feed-forward biases are not supported");
        }
        boolean tied = json.optionalBoolean("tie_word_embeddings").orElse(false);
        boolean bias = json.optionalBoolean("attention_bias").orElse(architecture.equals("Qwen2ForCausalLM"));

        double theta = json.has("rope_theta") ? json.positiveDouble("rope_theta") : DEFAULT_ROPE_THETA;
        RopeScaling scaling = new RopeScaling.None();
        checkFullRotary(json);
        var parameters = json.optionalObject("rope_parameters");
        if (parameters.isPresent()) {
            JsonFile p = parameters.get();
            rejectPerLayerTypeParameters(p);
            if (p.has("rope_theta")) {
                theta = p.positiveDouble("rope_theta");
            }
            checkFullRotary(p);
            scaling = scaling(p, p.optionalString("rope_type").orElse("default"));
        } else {
            var legacy = json.optionalObject("rope_scaling");
            if (legacy.isPresent()) {
                JsonFile s = legacy.get();
                String type = s.optionalString("rope_type").or(() -> s.optionalString("type"))
                        .orElseThrow(() -> s.error("rope_type", "missing (neither rope_type nor type is set)"));
                scaling = scaling(s, type);
            }
        }
        return new HfConfig(architecture, hidden, intermediate, layers, heads, kvHeads, headDim, vocab,
                maxPositions, eps, theta, scaling, tied, bias, slidingWindow(json, architecture));
    }

    /** FlashJ's short name for the architecture: "llama", "mistral" or "qwen2". */
    public String modelType() {
        return ARCHITECTURES.get(architecture);
    }

    /**
     * The model configuration FlashJ runs. Hugging Face checkpoints keep Q/K rows in rotate-half order,
     * so RoPE uses {@link RopeStyle#HALF}. With a sliding window the context is capped at the window,
     * where sliding and full attention agree.
     */
    public LlamaConfig toLlamaConfig() {
        int context = maxPositionEmbeddings;
        if (slidingWindow.isPresent()) {
            context = Math.min(context, slidingWindow.getAsInt());
        }
        RopeConfig rope = new RopeConfig((float) ropeTheta, ropeScaling, RopeStyle.HALF, headDim);
        return new LlamaConfig(hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, vocabSize, context, (float) rmsNormEps, rope,
                tieWordEmbeddings, attentionBias);
    }

    private static String architecture(JsonFile json) {
        var list = json.optionalArray("architectures");
        if (list.isEmpty()) {
            // Some hand-written configs only give model_type.
            String type = json.optionalString("model_type")
                    .orElseThrow(() -> json.error("architectures", "missing (and no model_type)"));
            for (var e : ARCHITECTURES.entrySet()) {
                if (e.getValue().equals(type)) {
                    return e.getKey();
                }
            }
            throw json.error("model_type", "'" + type + "' is not supported; FlashJ reads "
                    + String.join(", ", ARCHITECTURES.values()));
        }
        List<String> named = new ArrayList<>();
        for (JsonNode n : list.get()) {
            if (!n.isTextual()) {
                throw json.error("architectures", "entries must be strings, found " + JsonFile.abbreviate(n));
            }
            if (ARCHITECTURES.containsKey(n.textValue())) {
                return n.textValue();
            }
            named.add(n.textValue());
        }
        throw json.error("architectures", named + " is not supported; FlashJ reads "
                + String.join(", ", ARCHITECTURES.keySet().stream().sorted().toList()));
    }

    private static RopeScaling scaling(JsonFile s, String type) {
        return switch (type) {
            case "default" -> new RopeScaling.None();
            case "linear" -> new RopeScaling.Linear((float) s.positiveDouble("factor"));
            case "llama3" -> llama3(s);
            default -> throw s.error("rope_type", "'" + type + "' is not supported (FlashJ supports default, linear, llama3)");
        };
    }

    private static RopeScaling llama3(JsonFile s) {
        double factor = s.positiveDouble("factor");
        double low = s.positiveDouble("low_freq_factor");
        double high = s.positiveDouble("high_freq_factor");
        if (!(high > low)) {
            throw s.error("high_freq_factor", high + " must be greater than low_freq_factor " + low);
        }
        int original = s.positiveInt("original_max_position_embeddings");
        return new RopeScaling.Llama3((float) factor, (float) low, (float) high, original);
    }

    private static void checkFullRotary(JsonFile json) {
        var partial = json.optionalDouble("partial_rotary_factor");
        if (partial.isPresent() && partial.getAsDouble() != 1.0) {
            throw json.error("partial_rotary_factor", partial.getAsDouble() + " is not supported (only 1.0)");
        }
    }

    /** Newer configs may key rope parameters by attention type ({"full_attention": {...}, ...}). */
    private static void rejectPerLayerTypeParameters(JsonFile p) {
        for (var e : p.node().properties()) {
            if (e.getValue().isObject()) {
                throw p.error(e.getKey(), "per-layer-type rope parameters are not supported");
            }
        }
    }

    private static OptionalInt slidingWindow(JsonFile json, String architecture) {
        OptionalInt window = json.optionalInt("sliding_window");
        if (window.isEmpty()) {
            return window;
        }
        // Qwen2 writes a window but only applies it when use_sliding_window is set; Mistral always applies it.
        boolean used = architecture.equals("MistralForCausalLM")
                || (architecture.equals("Qwen2ForCausalLM") && json.optionalBoolean("use_sliding_window").orElse(false));
        if (!used) {
            return OptionalInt.empty();
        }
        json.checkPositive("sliding_window", window.getAsInt());
        return window;
    }
}
