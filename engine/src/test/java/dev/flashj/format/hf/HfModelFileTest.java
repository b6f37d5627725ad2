package dev.flashj.format.hf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flashj.FlashjException;
import dev.flashj.TestData;
import dev.flashj.format.safetensors.SafetensorsFile;
import dev.flashj.format.safetensors.SafetensorsWriter.Item;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelFormat;
import dev.flashj.model.RopeStyle;
import dev.flashj.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HfModelFileTest {

    @TempDir
    Path tmp;

    @Test
    void opensTheTinyModelWithEveryCanonicalWeight() {
        Path dir = TestData.require("hf-tiny-llama2-spm");
        StubTokenizer tok = new StubTokenizer(1024);
        try (HfModelFile model = HfModelFile.open(dir, c -> tok);
             SafetensorsFile raw = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            assertEquals(ModelFormat.HUGGING_FACE, model.format());
            assertEquals("llama", model.architecture());
            assertEquals(dir, model.path());
            assertSame(tok, model.tokenizer());
            LlamaConfig c = model.config();
            assertEquals(RopeStyle.HALF, c.rope().style());
            assertEquals(39, model.tensors().size());
            assertEquals(List.of("model.safetensors"), model.metadata().get("flashj.weight_files"));
            assertEquals("llama", model.metadata().get("model_type"));

            Map<String, String> expected = new java.util.LinkedHashMap<>(Map.of(
                    LlamaTensorNames.TOKEN_EMBEDDING, "model.embed_tokens.weight",
                    LlamaTensorNames.OUTPUT_NORM, "model.norm.weight",
                    LlamaTensorNames.OUTPUT, "lm_head.weight"));
            for (int l = 0; l < c.numLayers(); l++) {
                expected.put(LlamaTensorNames.attentionNorm(l), "model.layers." + l + ".input_layernorm.weight");
                expected.put(LlamaTensorNames.query(l), "model.layers." + l + ".self_attn.q_proj.weight");
                expected.put(LlamaTensorNames.key(l), "model.layers." + l + ".self_attn.k_proj.weight");
                expected.put(LlamaTensorNames.value(l), "model.layers." + l + ".self_attn.v_proj.weight");
                expected.put(LlamaTensorNames.attentionOutput(l), "model.layers." + l + ".self_attn.o_proj.weight");
                expected.put(LlamaTensorNames.ffnNorm(l), "model.layers." + l + ".post_attention_layernorm.weight");
                expected.put(LlamaTensorNames.ffnGate(l), "model.layers." + l + ".mlp.gate_proj.weight");
                expected.put(LlamaTensorNames.ffnUp(l), "model.layers." + l + ".mlp.up_proj.weight");
                expected.put(LlamaTensorNames.ffnDown(l), "model.layers." + l + ".mlp.down_proj.weight");
            }
            for (var e : expected.entrySet()) {
                Tensor w = model.weight(e.getKey()).orElseThrow(() -> new AssertionError("no " + e.getKey()));
                Tensor r = raw.tensor(e.getValue());
                assertEquals(e.getValue(), w.name());
                assertArrayEquals(r.shape(), w.shape());
                assertArrayEquals(r.data().toArray(ValueLayout.JAVA_BYTE), w.data().toArray(ValueLayout.JAVA_BYTE));
            }
            assertArrayEquals(new long[]{1024, 128}, model.weight(LlamaTensorNames.OUTPUT).orElseThrow().shape());
            assertArrayEquals(new long[]{384, 128}, model.weight(LlamaTensorNames.ffnUp(2)).orElseThrow().shape());
            assertTrue(model.weight(LlamaTensorNames.queryBias(0)).isEmpty());
        }
    }

    @Test
    void tiedEmbeddingsHaveNoOutputWeight() {
        Path dir = TestData.require("derived/stories260K-hf");
        try (HfModelFile model = HfModelFile.open(dir, c -> new StubTokenizer(c.vocabSize()))) {
            assertTrue(model.config().tiedEmbeddings());
            assertTrue(model.weight(LlamaTensorNames.OUTPUT).isEmpty());
            assertEquals(47, model.tensors().size());
            assertArrayEquals(new long[]{32, 64}, model.weight(LlamaTensorNames.key(4)).orElseThrow().shape());
            assertEquals(512, model.tokenizer().vocabSize());
        }
    }

    @Test
    void directoryWithoutTokenizerNeedsAnOverride() {
        Path dir = TestData.require("derived/stories260K-hf");
        FlashjException e = assertThrows(FlashjException.class, () -> HfModelFile.open(dir, Optional.empty()));
        assertEquals(dir + ": no tokenizer.json; pass --tokenizer FILE", e.getMessage());
    }

    @Test
    @Tag("needs-tokenizer")
    void loadsTokenizerJsonFromTheDirectory() {
        Path dir = TestData.require("hf-tiny-llama2-spm");
        try (ModelFile model = HfModelFile.open(dir, Optional.empty())) {
            assertEquals(1024, model.tokenizer().vocabSize());
            assertEquals(1, model.tokenizer().bosId());
            assertEquals(2, model.tokenizer().eosId());
        }
    }

    @Test
    @Tag("needs-tokenizer")
    void tokenizerOverrideReplacesTheDirectoryOne() {
        Path dir = TestData.require("derived/stories260K-hf");
        Path tok = TestData.require("tok512.bin");
        try (ModelFile model = HfModelFile.open(dir, Optional.of(tok))) {
            assertEquals(512, model.tokenizer().vocabSize());
            assertEquals(512, model.config().vocabSize());
        }
    }

    @Test
    void shardedCheckpointLoadsTheSameTensors() throws IOException {
        Path single = TestData.require("hf-tiny-llama2-spm");
        List<Item> items = Checkpoints.itemsOf(single.resolve("model.safetensors"));
        int[] shardOf = new int[items.size()];
        for (int i = 0; i < shardOf.length; i++) {
            shardOf[i] = i < items.size() / 2 ? 0 : 1; // contiguous halves, like transformers' save_pretrained
        }
        shardOf[0] = 1; // and one out-of-order tensor, so the index really decides
        Path dir = Checkpoints.writeSharded(tmp.resolve("sharded"), Files.readString(single.resolve("config.json")),
                items, shardOf, 2);
        try (HfModelFile sharded = HfModelFile.open(dir, c -> new StubTokenizer(c.vocabSize()));
             HfModelFile whole = HfModelFile.open(single, c -> new StubTokenizer(c.vocabSize()))) {
            assertEquals(whole.config(), sharded.config());
            assertEquals(List.of(Checkpoints.shardName(1, 2), Checkpoints.shardName(0, 2)),
                    sharded.metadata().get("flashj.weight_files"));
            assertEquals(whole.canonicalNames().stream().sorted().toList(),
                    sharded.canonicalNames().stream().sorted().toList());
            for (String name : whole.canonicalNames()) {
                Tensor a = whole.weight(name).orElseThrow();
                Tensor b = sharded.weight(name).orElseThrow();
                assertArrayEquals(a.shape(), b.shape(), name);
                assertArrayEquals(a.data().toArray(ValueLayout.JAVA_BYTE), b.data().toArray(ValueLayout.JAVA_BYTE), name);
            }
            assertEquals(whole.tensors().stream().map(Tensor::name).sorted().toList(),
                    sharded.tensors().stream().map(Tensor::name).sorted().toList());
            // tensors() follows the files: everything in the first shard opened, then the next.
            assertEquals(items.getFirst().name(), sharded.tensors().getFirst().name());
        }
    }

    @Test
    void shardedIndexErrors() throws IOException {
        Path single = TestData.require("derived/stories260K-hf");
        String config = Files.readString(single.resolve("config.json"));
        List<Item> items = Checkpoints.itemsOf(single.resolve("model.safetensors"));
        int[] halves = new int[items.size()];
        for (int i = 0; i < halves.length; i++) {
            halves[i] = i % 2;
        }
        Path dir = Checkpoints.writeSharded(tmp.resolve("s"), config, items, halves, 2);
        Path index = dir.resolve("model.safetensors.index.json");
        String good = Files.readString(index);

        Files.delete(dir.resolve(Checkpoints.shardName(1, 2)));
        assertOpenFails(dir, index.toString(), "weight_map." + items.get(1).name(), Checkpoints.shardName(1, 2), "does not exist");

        Checkpoints.writeSharded(dir, config, items, halves, 2);
        // The index places a tensor in the wrong shard.
        ObjectNode wrong = (ObjectNode) Checkpoints.JSON.readTree(good);
        ((ObjectNode) wrong.get("weight_map")).put(items.get(0).name(), Checkpoints.shardName(1, 2));
        Files.writeString(index, wrong.toString());
        assertOpenFails(dir, index.toString(), "weight_map." + items.get(0).name(), "not in shard");

        ObjectNode renamed = (ObjectNode) Checkpoints.JSON.readTree(good);
        renamed.set("weights", renamed.remove("weight_map"));
        Files.writeString(index, renamed.toString());
        assertOpenFails(dir, index.toString(), "weight_map", "missing");

        ObjectNode escaping = (ObjectNode) Checkpoints.JSON.readTree(good);
        ((ObjectNode) escaping.get("weight_map")).put(items.get(2).name(), "../" + Checkpoints.shardName(0, 2));
        Files.writeString(index, escaping.toString());
        assertOpenFails(dir, index.toString(), "weight_map." + items.get(2).name(), "not a file name");

        ObjectNode notText = (ObjectNode) Checkpoints.JSON.readTree(good);
        ((ObjectNode) notText.get("weight_map")).put(items.get(2).name(), 5);
        Files.writeString(index, notText.toString());
        assertOpenFails(dir, index.toString(), "weight_map." + items.get(2).name(), "shard file name");

        Files.writeString(index, "{\"weight_map\": {\"a\": ");
        assertOpenFails(dir, index.toString(), "(json)", "not valid JSON");

        Files.writeString(index, "{\"weight_map\": {}}");
        assertOpenFails(dir, index.toString(), "weight_map", "no tensors");

        // A required weight the index does not list.
        ObjectNode dropped = (ObjectNode) Checkpoints.JSON.readTree(good);
        ((ObjectNode) dropped.get("weight_map")).remove("model.norm.weight");
        Files.writeString(index, dropped.toString());
        assertOpenFails(dir, dir.toString(), "model.norm.weight", "missing");
    }

    @Test
    void missingPiecesOfADirectory() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertOpenFails(empty, empty.toString(), "config.json");
        Path noWeights = Files.createDirectories(tmp.resolve("noweights"));
        Files.writeString(noWeights.resolve("config.json"), HfConfigTest.minimal("LlamaForCausalLM").toString());
        assertOpenFails(noWeights, noWeights.toString(), "model.safetensors");
        Path file = Files.writeString(tmp.resolve("file.txt"), "x");
        assertOpenFails(file, file.toString(), "not a directory");
    }

    @Test
    void syntheticQwen2WithBiases() throws IOException {
        ObjectNode config = tiny("Qwen2ForCausalLM");
        HfConfig c = HfConfig.parse(tmp.resolve("config.json"), config);
        List<Item> items = Checkpoints.synthetic(c, true, 11);
        Path dir = Checkpoints.writeSingle(tmp.resolve("qwen"), config, items);
        try (HfModelFile model = HfModelFile.open(dir, x -> new StubTokenizer(x.vocabSize()))) {
            assertEquals("qwen2", model.architecture());
            assertTrue(model.config().attentionBias());
            Tensor kb = model.weight(LlamaTensorNames.keyBias(1)).orElseThrow();
            assertArrayEquals(new long[]{c.numKeyValueHeads() * c.headDim()}, kb.shape());
            Item expected = items.stream().filter(i -> i.name().equals("model.layers.1.self_attn.k_proj.bias")).findFirst().orElseThrow();
            assertArrayEquals(expected.data(), kb.data().toArray(ValueLayout.JAVA_BYTE));
            assertEquals(items.size(), model.tensors().size());
        }
        // Without the biases a Qwen2 checkpoint is incomplete.
        Path noBias = Checkpoints.writeSingle(tmp.resolve("qwen-nobias"), config, Checkpoints.synthetic(c, false, 11));
        assertOpenFails(noBias, noBias.toString(), "model.layers.0.self_attn.q_proj.bias", "missing");
    }

    @Test
    void weightProblemsAreNamed() throws IOException {
        ObjectNode config = tiny("LlamaForCausalLM");
        HfConfig c = HfConfig.parse(tmp.resolve("config.json"), config);
        List<Item> good = Checkpoints.synthetic(c, false, 3);

        List<Item> missing = new ArrayList<>(good);
        missing.removeIf(i -> i.name().equals("model.layers.1.mlp.up_proj.weight"));
        Path d1 = Checkpoints.writeSingle(tmp.resolve("missing"), config, missing);
        assertOpenFails(d1, d1.toString(), "model.layers.1.mlp.up_proj.weight", "missing");

        List<Item> wrongShape = replace(good, "model.layers.0.self_attn.k_proj.weight",
                Checkpoints.random(new java.util.Random(1), "model.layers.0.self_attn.k_proj.weight", 16, 16));
        Path d2 = Checkpoints.writeSingle(tmp.resolve("shape"), config, wrongShape);
        assertOpenFails(d2, d2.resolve("model.safetensors").toString(), "'model.layers.0.self_attn.k_proj.weight'",
                "[16, 16]", "[8, 16]");

        Item gate = good.stream().filter(i -> i.name().equals("model.layers.1.mlp.gate_proj.weight")).findFirst().orElseThrow();
        List<Item> badDtype = replace(good, gate.name(), new Item(gate.name(), "I32", gate.shape(), gate.data()));
        Path d3 = Checkpoints.writeSingle(tmp.resolve("dtype"), config, badDtype);
        assertOpenFails(d3, d3.resolve("model.safetensors").toString(), "'" + gate.name() + "'", "I32", "not supported");

        List<Item> oBias = new ArrayList<>(good);
        oBias.add(Checkpoints.random(new java.util.Random(2), "model.layers.0.self_attn.o_proj.bias", 16));
        Path d4 = Checkpoints.writeSingle(tmp.resolve("obias"), config, oBias);
        assertOpenFails(d4, d4.resolve("model.safetensors").toString(), "o_proj.bias", "not supported");

        List<Item> qBias = new ArrayList<>(good);
        qBias.add(Checkpoints.random(new java.util.Random(2), "model.layers.0.self_attn.q_proj.bias", 16));
        Path d5 = Checkpoints.writeSingle(tmp.resolve("qbias"), config, qBias);
        assertOpenFails(d5, d5.resolve("model.safetensors").toString(), "q_proj.bias", "attention_bias");

        // Tensors of other dtypes that the model does not need are tolerated and reported.
        List<Item> extra = new ArrayList<>(good);
        extra.add(new Item("model.rotary_emb.position_ids", "I64", new long[]{1, 4}, new byte[32]));
        Path d6 = Checkpoints.writeSingle(tmp.resolve("extra"), config, extra);
        try (HfModelFile model = HfModelFile.open(d6, x -> new StubTokenizer(x.vocabSize()))) {
            assertEquals(good.size(), model.tensors().size());
            assertEquals(List.of("model.rotary_emb.position_ids (I64)"),
                    model.metadata().get("flashj.unused_tensors_of_unsupported_dtype"));
            assertFalse(model.tensors().stream().anyMatch(t -> t.name().startsWith("model.rotary_emb")));
        }
    }

    @Test
    void canonicalNameMapping() {
        assertEquals(Optional.of("blk.12.attn_q.weight"), HfTensorNames.canonical("model.layers.12.self_attn.q_proj.weight"));
        assertEquals(Optional.of("blk.0.attn_v.bias"), HfTensorNames.canonical("model.layers.0.self_attn.v_proj.bias"));
        assertEquals(Optional.of("blk.3.ffn_down.weight"), HfTensorNames.canonical("model.layers.3.mlp.down_proj.weight"));
        assertEquals(Optional.of("output.weight"), HfTensorNames.canonical("lm_head.weight"));
        assertEquals(Optional.empty(), HfTensorNames.canonical("model.layers.01.mlp.down_proj.weight"));
        assertEquals(Optional.empty(), HfTensorNames.canonical("model.layers.99999999999.mlp.down_proj.weight"));
        assertEquals(Optional.empty(), HfTensorNames.canonical("model.layers.0.self_attn.rotary_emb.inv_freq"));
    }

    /** hidden 16, 4 heads of 4, 2 KV heads, 2 layers, FFN 24, vocab 40. */
    private static ObjectNode tiny(String architecture) {
        return HfConfigTest.with(HfConfigTest.minimal(architecture), o -> {
            o.put("hidden_size", 16);
            o.put("num_attention_heads", 4);
            o.put("num_key_value_heads", 2);
            o.put("intermediate_size", 24);
            o.put("vocab_size", 40);
        });
    }

    private static List<Item> replace(List<Item> items, String name, Item with) {
        List<Item> out = new ArrayList<>();
        for (Item i : items) {
            out.add(i.name().equals(name) ? with : i);
        }
        return out;
    }

    private static void assertOpenFails(Path dir, String file, String... parts) {
        FlashjException e = assertThrows(FlashjException.class,
                () -> HfModelFile.open(dir, c -> new StubTokenizer(c.vocabSize())).close());
        String m = e.getMessage();
        assertTrue(m.startsWith(file), () -> "expected the message to start with " + file + ": " + m);
        for (String p : parts) {
            assertTrue(m.contains(p), () -> "expected '" + p + "' in: " + m);
        }
    }
}
