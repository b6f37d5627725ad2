package dev.flashj.format.hf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flashj.format.safetensors.SafetensorsEntry;
import dev.flashj.format.safetensors.SafetensorsFile;
import dev.flashj.format.safetensors.SafetensorsWriter;
import dev.flashj.format.safetensors.SafetensorsWriter.Item;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Test helper: builds Hugging Face checkpoint directories (synthetic, or re-sharded real ones). */
final class Checkpoints {

    static final ObjectMapper JSON = new ObjectMapper();

    private Checkpoints() {
    }

    /** Every tensor of a safetensors file as items (bytes copied), in header order. */
    static List<Item> itemsOf(Path safetensors) {
        try (SafetensorsFile st = SafetensorsFile.open(safetensors)) {
            List<Item> items = new ArrayList<>();
            for (SafetensorsEntry e : st.entries()) {
                items.add(new Item(e.name(), e.dtype(), e.shapeArray(),
                        st.tensor(e).data().toArray(ValueLayout.JAVA_BYTE)));
            }
            return items;
        }
    }

    /** Random F32 weights for every tensor a config needs (q/k/v biases when {@code bias}). */
    static List<Item> synthetic(HfConfig c, boolean bias, long seed) {
        Random r = new Random(seed);
        long dim = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        long ff = c.intermediateSize();
        List<Item> items = new ArrayList<>();
        items.add(random(r, HfTensorNames.EMBED_TOKENS, c.vocabSize(), dim));
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            items.add(random(r, HfTensorNames.layer(l, "input_layernorm.weight"), dim));
            items.add(random(r, HfTensorNames.layer(l, "self_attn.q_proj.weight"), q, dim));
            items.add(random(r, HfTensorNames.layer(l, "self_attn.k_proj.weight"), kv, dim));
            items.add(random(r, HfTensorNames.layer(l, "self_attn.v_proj.weight"), kv, dim));
            if (bias) {
                items.add(random(r, HfTensorNames.layer(l, "self_attn.q_proj.bias"), q));
                items.add(random(r, HfTensorNames.layer(l, "self_attn.k_proj.bias"), kv));
                items.add(random(r, HfTensorNames.layer(l, "self_attn.v_proj.bias"), kv));
            }
            items.add(random(r, HfTensorNames.layer(l, "self_attn.o_proj.weight"), dim, q));
            items.add(random(r, HfTensorNames.layer(l, "post_attention_layernorm.weight"), dim));
            items.add(random(r, HfTensorNames.layer(l, "mlp.gate_proj.weight"), ff, dim));
            items.add(random(r, HfTensorNames.layer(l, "mlp.up_proj.weight"), ff, dim));
            items.add(random(r, HfTensorNames.layer(l, "mlp.down_proj.weight"), dim, ff));
        }
        items.add(random(r, HfTensorNames.NORM, dim));
        if (!c.tieWordEmbeddings()) {
            items.add(random(r, HfTensorNames.LM_HEAD, c.vocabSize(), dim));
        }
        return items;
    }

    static Item random(Random r, String name, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] values = new float[(int) n];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian();
        }
        return new Item(name, "F32", shape, SafetensorsWriter.f32(values));
    }

    /** Writes config.json and a single model.safetensors. */
    static Path writeSingle(Path dir, ObjectNode config, List<Item> items) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config.toString());
        SafetensorsWriter.write(dir.resolve("model.safetensors"), items, Map.of("format", "pt"));
        return dir;
    }

    /** Writes the items to the given shards (item i goes to shard shardOf[i]) plus the index. */
    static Path writeSharded(Path dir, String configText, List<Item> items, int[] shardOf, int shards) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), configText);
        Map<Integer, List<Item>> byShard = new LinkedHashMap<>();
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", items.stream().mapToLong(i -> i.data().length).sum());
        ObjectNode weightMap = index.putObject("weight_map");
        for (int i = 0; i < items.size(); i++) {
            byShard.computeIfAbsent(shardOf[i], k -> new ArrayList<>()).add(items.get(i));
            weightMap.put(items.get(i).name(), shardName(shardOf[i], shards));
        }
        for (var e : byShard.entrySet()) {
            SafetensorsWriter.write(dir.resolve(shardName(e.getKey(), shards)), e.getValue(), Map.of("format", "pt"));
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.toPrettyString());
        return dir;
    }

    static String shardName(int shard, int shards) {
        return String.format("model-%05d-of-%05d.safetensors", shard + 1, shards);
    }
}
