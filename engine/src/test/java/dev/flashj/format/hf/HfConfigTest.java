package dev.flashj.format.hf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flashj.FlashjException;
import dev.flashj.TestData;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HfConfigTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void readsTheTinyModelConfigWithRopeParameters() {
        HfConfig c = HfConfig.read(TestData.require("hf-tiny-llama2-spm/config.json"));
        assertEquals("LlamaForCausalLM", c.architecture());
        assertEquals("llama", c.modelType());
        LlamaConfig l = c.toLlamaConfig();
        assertEquals(128, l.dim());
        assertEquals(384, l.hiddenDim());
        assertEquals(4, l.numLayers());
        assertEquals(4, l.numHeads());
        assertEquals(4, l.numKvHeads());
        assertEquals(32, l.headDim());
        assertEquals(1024, l.vocabSize());
        assertEquals(512, l.contextLength());
        assertEquals(1e-5f, l.rmsNormEps());
        assertEquals(10000f, l.rope().theta());
        assertEquals(new RopeScaling.None(), l.rope().scaling());
        assertEquals(RopeStyle.HALF, l.rope().style());
        assertEquals(32, l.rope().rotaryDims());
        assertFalse(l.tiedEmbeddings());
        assertFalse(l.attentionBias());
    }

    @Test
    void readsTheStories260kConfigWithLegacyRopeKeys() {
        LlamaConfig l = HfConfig.read(TestData.require("derived/stories260K-hf/config.json")).toLlamaConfig();
        assertEquals(64, l.dim());
        assertEquals(172, l.hiddenDim());
        assertEquals(5, l.numLayers());
        assertEquals(8, l.numHeads());
        assertEquals(4, l.numKvHeads());
        assertEquals(8, l.headDim());
        assertEquals(32, l.kvDim());
        assertEquals(512, l.vocabSize());
        assertEquals(new RopeScaling.None(), l.rope().scaling());
        assertTrue(l.tiedEmbeddings());
    }

    @Test
    void appliesDefaults() {
        HfConfig c = parse(minimal("LlamaForCausalLM"));
        assertEquals(6, c.numKeyValueHeads());
        assertEquals(16, c.headDim());
        assertEquals(10000.0, c.ropeTheta());
        assertFalse(c.tieWordEmbeddings());
        assertFalse(c.attentionBias());
        assertTrue(c.slidingWindow().isEmpty());
        // Qwen2 projections carry biases unless the config says otherwise.
        assertTrue(parse(minimal("Qwen2ForCausalLM")).attentionBias());
        assertFalse(parse(with(minimal("Qwen2ForCausalLM"), o -> o.put("attention_bias", false))).attentionBias());
        // JSON nulls count as absent.
        HfConfig nulls = parse(with(minimal("MistralForCausalLM"), o -> {
            o.putNull("head_dim");
            o.putNull("num_key_value_heads");
            o.putNull("rope_scaling");
            o.putNull("sliding_window");
        }));
        assertEquals(16, nulls.headDim());
        assertEquals(6, nulls.numKeyValueHeads());
    }

    @Test
    void explicitHeadDimAndGqa() {
        HfConfig c = parse(with(minimal("LlamaForCausalLM"), o -> {
            o.put("head_dim", 24);
            o.put("num_key_value_heads", 2);
            o.put("rope_theta", 500000.0);
        }));
        LlamaConfig l = c.toLlamaConfig();
        assertEquals(24, l.headDim());
        assertEquals(6 * 24, l.qDim());
        assertEquals(2 * 24, l.kvDim());
        assertEquals(500000f, l.rope().theta());
    }

    @Test
    void legacyRopeScalingForms() {
        HfConfig llama31 = parse(with(minimal("LlamaForCausalLM"), o -> {
            o.put("rope_theta", 500000.0);
            ObjectNode s = o.putObject("rope_scaling");
            s.put("rope_type", "llama3");
            s.put("factor", 8.0);
            s.put("low_freq_factor", 1.0);
            s.put("high_freq_factor", 4.0);
            s.put("original_max_position_embeddings", 8192);
        }));
        assertEquals(new RopeScaling.Llama3(8f, 1f, 4f, 8192), llama31.ropeScaling());
        assertEquals(500000.0, llama31.ropeTheta());

        HfConfig linear = parse(with(minimal("LlamaForCausalLM"), o -> {
            ObjectNode s = o.putObject("rope_scaling");
            s.put("type", "linear");
            s.put("factor", 2.0);
        }));
        assertEquals(new RopeScaling.Linear(2f), linear.ropeScaling());
    }

    @Test
    void ropeParametersForm() {
        HfConfig c = parse(with(minimal("LlamaForCausalLM"), o -> {
            o.put("rope_theta", 1.0); // superseded by rope_parameters.rope_theta
            ObjectNode p = o.putObject("rope_parameters");
            p.put("rope_type", "llama3");
            p.put("rope_theta", 500000.0);
            p.put("factor", 32.0);
            p.put("low_freq_factor", 1.0);
            p.put("high_freq_factor", 4.0);
            p.put("original_max_position_embeddings", 8192);
        }));
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(new RopeScaling.Llama3(32f, 1f, 4f, 8192), c.ropeScaling());

        HfConfig plain = parse(with(minimal("LlamaForCausalLM"), o -> o.putObject("rope_parameters").put("rope_theta", 1e6)));
        assertEquals(1e6, plain.ropeTheta());
        assertEquals(new RopeScaling.None(), plain.ropeScaling());
    }

    @Test
    void mistralSlidingWindowCapsTheContext() {
        HfConfig c = parse(with(minimal("MistralForCausalLM"), o -> o.put("sliding_window", 100)));
        assertEquals(100, c.slidingWindow().orElseThrow());
        assertEquals(100, c.toLlamaConfig().contextLength());
        assertEquals("mistral", c.modelType());
        // Qwen2 only applies its window with use_sliding_window.
        HfConfig qwen = parse(with(minimal("Qwen2ForCausalLM"), o -> {
            o.put("sliding_window", 100);
            o.put("use_sliding_window", false);
        }));
        assertEquals(256, qwen.toLlamaConfig().contextLength());
    }

    @Test
    void modelTypeStandsInForMissingArchitectures() {
        HfConfig c = parse(with(minimal("LlamaForCausalLM"), o -> {
            o.remove("architectures");
            o.put("model_type", "qwen2");
        }));
        assertEquals("Qwen2ForCausalLM", c.architecture());
    }

    @Test
    void missingOrBadFields() throws IOException {
        for (String field : new String[]{"hidden_size", "intermediate_size", "num_hidden_layers",
                "num_attention_heads", "vocab_size", "max_position_embeddings", "rms_norm_eps"}) {
            assertBad(with(minimal("LlamaForCausalLM"), o -> o.remove(field)), field, "missing");
        }
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.put("hidden_size", "96")), "hidden_size", "integer");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.put("hidden_size", 96.5)), "hidden_size", "integer");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.put("hidden_size", 0)), "hidden_size", "positive");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.put("num_hidden_layers", 1L << 40)), "num_hidden_layers", "int");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.put("num_key_value_heads", 4)), "num_key_value_heads", "divide");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.put("hidden_size", 97)), "head_dim", "multiple");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.put("head_dim", 15)), "head_dim", "even");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.put("head_dim", 1 << 30)), "head_dim", "overflows");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.put("rms_norm_eps", -1.0)), "rms_norm_eps", "positive");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.put("hidden_act", "gelu")), "hidden_act", "gelu");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.put("mlp_bias", true)), "mlp_bias", "not supported");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.put("tie_word_embeddings", "yes")), "tie_word_embeddings", "true or false");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.remove("architectures")), "architectures", "missing");
    }

    @Test
    void unsupportedArchitecturesAndRopeTypes() throws IOException {
        assertBad(minimal("GPT2LMHeadModel"), "architectures", "GPT2LMHeadModel", "not supported");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.putArray("architectures").add(3)), "architectures", "strings");
        for (String type : new String[]{"yarn", "dynamic", "longrope"}) {
            assertBad(with(minimal("LlamaForCausalLM"), o -> {
                ObjectNode s = o.putObject("rope_scaling");
                s.put("rope_type", type);
                s.put("factor", 4.0);
            }), "rope_scaling.rope_type", type, "not supported");
            assertBad(with(minimal("LlamaForCausalLM"), o -> o.putObject("rope_parameters").put("rope_type", type)),
                    "rope_parameters.rope_type", type);
        }
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.putObject("rope_scaling").put("factor", 2.0)),
                "rope_scaling.rope_type", "missing");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.putObject("rope_scaling").put("type", "linear")),
                "rope_scaling.factor", "missing");
        assertBad(with(minimal("LlamaForCausalLM"), o -> {
            ObjectNode s = o.putObject("rope_scaling");
            s.put("rope_type", "llama3");
            s.put("factor", 8.0);
            s.put("low_freq_factor", 1.0);
            s.put("high_freq_factor", 4.0);
        }), "rope_scaling.original_max_position_embeddings", "missing");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.putObject("rope_parameters").putObject("full_attention")),
                "rope_parameters.full_attention", "per-layer-type");
        assertBad(with(minimal("LlamaForCausalLM"), o -> o.put("partial_rotary_factor", 0.5)), "partial_rotary_factor");
    }

    @Test
    void malformedJson() throws IOException {
        Path file = tmp.resolve("config.json");
        for (String text : new String[]{"{\"hidden_size\": 64,", "[1, 2]", "", "{\"a\": 1} {\"b\": 2}",
                "{\"a\": 1, \"a\": 2}", "\u00ff\u00fe"}) {
            Files.writeString(file, text);
            FlashjException e = assertThrows(FlashjException.class, () -> HfConfig.read(file), text);
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("(json)"), e.getMessage());
        }
        Path absent = tmp.resolve("absent.json");
        FlashjException e = assertThrows(FlashjException.class, () -> HfConfig.read(absent));
        assertTrue(e.getMessage().contains(absent.toString()), e.getMessage());
    }

    /** A valid config: hidden 96, 6 heads (head_dim 16), 2 layers. */
    static ObjectNode minimal(String architecture) {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add(architecture);
        o.put("hidden_size", 96);
        o.put("intermediate_size", 200);
        o.put("num_hidden_layers", 2);
        o.put("num_attention_heads", 6);
        o.put("vocab_size", 300);
        o.put("max_position_embeddings", 256);
        o.put("rms_norm_eps", 1e-6);
        return o;
    }

    static ObjectNode with(ObjectNode o, Consumer<ObjectNode> change) {
        ObjectNode copy = o.deepCopy();
        change.accept(copy);
        return copy;
    }

    private HfConfig parse(ObjectNode o) {
        return HfConfig.parse(tmp.resolve("config.json"), o);
    }

    private void assertBad(ObjectNode o, String field, String... parts) throws IOException {
        Path file = tmp.resolve("config.json");
        Files.writeString(file, o.toString());
        FlashjException e = assertThrows(FlashjException.class, () -> HfConfig.read(file), o::toString);
        String m = e.getMessage();
        assertTrue(m.contains(file + ": " + field + ":"), () -> "expected '" + file + ": " + field + ":' in: " + m);
        for (String p : parts) {
            assertTrue(m.contains(p), () -> "expected '" + p + "' in: " + m);
        }
    }
}
