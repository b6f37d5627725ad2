package dev.flashj.format.hf;

import dev.flashj.model.LlamaTensorNames;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Maps Hugging Face LLaMA-family tensor names to FlashJ's canonical {@link LlamaTensorNames}. */
public final class HfTensorNames {

    public static final String EMBED_TOKENS = "model.embed_tokens.weight";
    public static final String NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";

    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(0|[1-9][0-9]{0,8})\\.(.+)");

    /** Per-layer HF suffix → canonical suffix (after "blk.N."). */
    private static final Map<String, String> LAYER_SUFFIXES = Map.ofEntries(
            Map.entry("input_layernorm.weight", "attn_norm.weight"),
            Map.entry("self_attn.q_proj.weight", "attn_q.weight"),
            Map.entry("self_attn.k_proj.weight", "attn_k.weight"),
            Map.entry("self_attn.v_proj.weight", "attn_v.weight"),
            Map.entry("self_attn.o_proj.weight", "attn_output.weight"),
            Map.entry("self_attn.q_proj.bias", "attn_q.bias"),
            Map.entry("self_attn.k_proj.bias", "attn_k.bias"),
            Map.entry("self_attn.v_proj.bias", "attn_v.bias"),
            Map.entry("post_attention_layernorm.weight", "ffn_norm.weight"),
            Map.entry("mlp.gate_proj.weight", "ffn_gate.weight"),
            Map.entry("mlp.up_proj.weight", "ffn_up.weight"),
            Map.entry("mlp.down_proj.weight", "ffn_down.weight"));

    private HfTensorNames() {
    }

    /** The canonical name of a Hugging Face tensor name, empty for names FlashJ does not use. */
    public static Optional<String> canonical(String hfName) {
        switch (hfName) {
            case EMBED_TOKENS:
                return Optional.of(LlamaTensorNames.TOKEN_EMBEDDING);
            case NORM:
                return Optional.of(LlamaTensorNames.OUTPUT_NORM);
            case LM_HEAD:
                return Optional.of(LlamaTensorNames.OUTPUT);
            default:
                break;
        }
        Matcher m = LAYER.matcher(hfName);
        if (!m.matches()) {
            return Optional.empty();
        }
        String suffix = LAYER_SUFFIXES.get(m.group(2));
        return suffix == null ? Optional.empty() : Optional.of("blk." + m.group(1) + "." + suffix);
    }

    /** The Hugging Face name of a per-layer tensor, e.g. (3, "mlp.up_proj.weight"). */
    public static String layer(int layer, String suffix) {
        return "model.layers." + layer + "." + suffix;
    }
}
