package dev.flashj.format.gguf;

import dev.flashj.FlashjException;
import dev.flashj.TestData;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelFormat;
import dev.flashj.model.ModelLoader;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GGUF models: config from metadata and weight checks (through {@link GgufModelConfig} and
 * {@link GgufWeightCheck}, which need no tokenizer), and whole {@link GgufModelFile}s (tagged
 * needs-tokenizer: they build the tokenizer too).
 */
class GgufModelFileTest {

    @TempDir
    Path dir;

    private static LlamaConfig configOf(Path file) {
        try (GgufFile gguf = GgufFile.open(file)) {
            LlamaConfig config = GgufModelConfig.read(gguf, GgufModelConfig.architecture(gguf));
            GgufWeightCheck.check(gguf, config);
            return config;
        }
    }

    private Path write(TinyModelGguf model) {
        Path file = dir.resolve("tiny.gguf");
        model.write(file);
        return file;
    }

    private static void assertBadFile(Path file, String field, Runnable action) {
        FlashjException e = assertThrows(FlashjException.class, action::run);
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(field), "'" + field + "' not in: " + e.getMessage());
    }

    @Test
    void stories260KConfig() {
        LlamaConfig c = configOf(TestData.require("stories260K.gguf"));
        assertEquals(64, c.dim());
        assertEquals(172, c.hiddenDim());
        assertEquals(5, c.numLayers());
        assertEquals(8, c.numHeads());
        assertEquals(4, c.numKvHeads());
        assertEquals(8, c.headDim());
        assertEquals(512, c.vocabSize());
        assertEquals(2048, c.contextLength());
        assertEquals(1e-5f, c.rmsNormEps());
        assertEquals(10000f, c.rope().theta());
        assertEquals(RopeStyle.INTERLEAVED, c.rope().style());
        assertEquals(8, c.rope().rotaryDims());
        assertEquals(new RopeScaling.None(), c.rope().scaling());
        assertFalse(c.tiedEmbeddings()); // this file carries output.weight as a separate copy
        assertFalse(c.attentionBias());
    }

    @Test
    void derivedFilesHaveTheSameConfig() {
        LlamaConfig f32 = configOf(TestData.require("stories260K.gguf"));
        for (String variant : new String[]{"F16", "BF16", "Q8_0mix", "Q4_0mix"}) {
            assertEquals(f32, configOf(TestData.require("derived/stories260K-" + variant + ".gguf")), variant);
        }
    }

    @Test
    void tinyLlamaConfig() {
        TinyModelGguf model = new TinyModelGguf();
        model.tied = true;
        LlamaConfig c = configOf(write(model));
        assertEquals(TinyModelGguf.DIM, c.dim());
        assertEquals(TinyModelGguf.KV_HEADS, c.numKvHeads());
        assertEquals(TinyModelGguf.VOCAB, c.vocabSize());
        assertEquals(500000f, c.rope().theta());
        assertEquals(1e-6f, c.rmsNormEps());
        assertTrue(c.tiedEmbeddings());
    }

    @Test
    void qwen2UsesHalfRopeAndBiases() {
        TinyModelGguf model = new TinyModelGguf();
        model.architecture = "qwen2";
        model.attentionBias = true;
        LlamaConfig c = configOf(write(model));
        assertEquals(RopeStyle.HALF, c.rope().style());
        assertTrue(c.attentionBias());
    }

    @Test
    void mistralIsInterleaved() {
        TinyModelGguf model = new TinyModelGguf();
        model.architecture = "mistral";
        assertEquals(RopeStyle.INTERLEAVED, configOf(write(model)).rope().style());
    }

    @Test
    void defaultsAndOptionalKeys() {
        TinyModelGguf model = new TinyModelGguf();
        model.metadata = w -> w.remove("llama.attention.head_count_kv")
                .remove("llama.attention.layer_norm_rms_epsilon")
                .remove("llama.rope.freq_base")
                .putUInt32("llama.vocab_size", TinyModelGguf.VOCAB)
                .putUInt32("llama.rope.dimension_count", 4)
                .putString("llama.rope.scaling.type", "linear")
                .putFloat32("llama.rope.scaling.factor", 4f);
        // Without head_count_kv the model is multi-head: K/V must be [dim, dim].
        model.reshape.put(LlamaTensorNames.key(0), new long[]{TinyModelGguf.DIM, TinyModelGguf.DIM});
        model.reshape.put(LlamaTensorNames.key(1), new long[]{TinyModelGguf.DIM, TinyModelGguf.DIM});
        model.reshape.put(LlamaTensorNames.value(0), new long[]{TinyModelGguf.DIM, TinyModelGguf.DIM});
        model.reshape.put(LlamaTensorNames.value(1), new long[]{TinyModelGguf.DIM, TinyModelGguf.DIM});
        LlamaConfig c = configOf(write(model));
        assertEquals(TinyModelGguf.HEADS, c.numKvHeads());
        assertEquals(1e-5f, c.rmsNormEps());
        assertEquals(10000f, c.rope().theta());
        assertEquals(4, c.rope().rotaryDims());
        assertEquals(new RopeScaling.Linear(4f), c.rope().scaling());
    }

    @Test
    void explicitHeadSize() {
        TinyModelGguf model = new TinyModelGguf();
        model.metadata = w -> w.putUInt32("llama.attention.key_length", 16);
        int q = TinyModelGguf.HEADS * 16;
        int kv = TinyModelGguf.KV_HEADS * 16;
        for (int l = 0; l < TinyModelGguf.LAYERS; l++) {
            model.reshape.put(LlamaTensorNames.query(l), new long[]{q, TinyModelGguf.DIM});
            model.reshape.put(LlamaTensorNames.key(l), new long[]{kv, TinyModelGguf.DIM});
            model.reshape.put(LlamaTensorNames.value(l), new long[]{kv, TinyModelGguf.DIM});
            model.reshape.put(LlamaTensorNames.attentionOutput(l), new long[]{TinyModelGguf.DIM, q});
        }
        LlamaConfig c = configOf(write(model));
        assertEquals(16, c.headDim());
        assertEquals(64, c.qDim());
    }

    @Test
    void missingWeightIsNamed() {
        TinyModelGguf model = new TinyModelGguf();
        model.omit.add(LlamaTensorNames.ffnUp(1));
        Path file = write(model);
        assertBadFile(file, "blk.1.ffn_up.weight", () -> configOf(file));
    }

    @Test
    void missingBiasOfLaterLayerIsNamed() {
        TinyModelGguf model = new TinyModelGguf();
        model.attentionBias = true;
        model.omit.add(LlamaTensorNames.valueBias(1));
        Path file = write(model);
        assertBadFile(file, "blk.1.attn_v.bias", () -> configOf(file));
    }

    @Test
    void wrongShapeIsNamed() {
        TinyModelGguf model = new TinyModelGguf();
        model.reshape.put(LlamaTensorNames.attentionOutput(0), new long[]{TinyModelGguf.DIM, 24});
        Path file = write(model);
        assertBadFile(file, "blk.0.attn_output.weight", () -> configOf(file));
    }

    @Test
    void unsupportedArchitecture() {
        TinyModelGguf model = new TinyModelGguf();
        model.architecture = "gpt2";
        Path file = write(model);
        assertBadFile(file, "general.architecture", () -> GgufModelFile.open(file));
    }

    @Test
    void missingRequiredKey() {
        TinyModelGguf model = new TinyModelGguf();
        model.metadata = w -> w.remove("llama.block_count");
        Path file = write(model);
        assertBadFile(file, "llama.block_count", () -> GgufModelFile.open(file));
    }

    @Test
    void badValues() {
        TinyModelGguf model = new TinyModelGguf();
        model.metadata = w -> w.putUInt32("llama.attention.head_count_kv", 3);
        Path file = write(model);
        assertBadFile(file, "llama.attention.head_count_kv", () -> GgufModelFile.open(file));

        model.metadata = w -> w.putString("llama.rope.scaling.type", "yarn");
        Path yarn = write(model);
        assertBadFile(yarn, "llama.rope.scaling.type", () -> GgufModelFile.open(yarn));

        model.metadata = w -> w.putString("llama.embedding_length", "32");
        Path typed = write(model);
        assertBadFile(typed, "llama.embedding_length", () -> GgufModelFile.open(typed));
    }

    @Test
    @Tag("needs-tokenizer")
    void opensStories260K() {
        Path path = TestData.require("stories260K.gguf");
        try (ModelFile model = ModelLoader.open(path, Optional.empty())) {
            assertEquals(ModelFormat.GGUF, model.format());
            assertEquals("llama", model.architecture());
            assertEquals(path, model.path());
            assertEquals(512, model.config().vocabSize());
            assertEquals(512, model.tokenizer().vocabSize());
            assertEquals(48, model.tensors().size());
            assertTrue(model.weight(LlamaTensorNames.ffnDown(4)).isPresent());
            assertEquals("llama", model.metadata().get("general.architecture"));
        }
    }

    @Test
    @Tag("needs-tokenizer")
    void opensTinyModel() {
        TinyModelGguf model = new TinyModelGguf();
        model.tied = true;
        Path file = write(model);
        try (ModelFile m = GgufModelFile.open(file)) {
            assertTrue(m.config().tiedEmbeddings());
            assertFalse(m.weight(LlamaTensorNames.OUTPUT).isPresent());
            assertEquals(TinyModelGguf.VOCAB, m.tokenizer().vocabSize());
        }
    }
}
