package dev.flashj.format.gguf;

import dev.flashj.TestData;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reads the real stories260K GGUF files and the llama.cpp vocab-only GGUFs. */
class GgufFileTest {

    @Test
    void readsStories260K() throws Exception {
        Path path = TestData.require("stories260K.gguf");
        try (GgufFile gguf = GgufFile.open(path)) {
            assertEquals(3, gguf.version());
            assertEquals(32, gguf.alignment());
            assertEquals(0, gguf.dataOffset() % 32);
            assertEquals("llama", gguf.metadata().getString("general.architecture"));
            assertEquals(64, gguf.metadata().getInt("llama.embedding_length"));
            assertEquals(5, gguf.metadata().getInt("llama.block_count"));
            assertEquals(512, gguf.metadata().getStringArray("tokenizer.ggml.tokens").length);
            assertEquals(512, gguf.metadata().getFloatArray("tokenizer.ggml.scores").length);
            assertEquals(48, gguf.tensors().size());

            Tensor embedding = gguf.tensor("token_embd.weight").orElseThrow();
            assertEquals(TensorType.F32, embedding.type());
            assertArrayEquals(new long[]{512, 64}, embedding.shape());
            Tensor ffnDown = gguf.tensor("blk.0.ffn_down.weight").orElseThrow();
            assertArrayEquals(new long[]{64, 172}, ffnDown.shape());
            Tensor wq = gguf.tensor("blk.0.attn_q.weight").orElseThrow();
            assertArrayEquals(new long[]{64, 64}, wq.shape());
            assertTrue(wq.data().isReadOnly());
            assertFalse(gguf.tensor("no.such.tensor").isPresent());

            // Tensors are disjoint slices inside the file, after the header.
            long fileSize = Files.size(path);
            Set<String> names = new HashSet<>();
            for (Tensor t : gguf.tensors()) {
                assertTrue(names.add(t.name()));
                assertEquals(t.type().bytesFor(t.numElements()), t.byteSize());
            }
            assertTrue(gguf.dataOffset() < fileSize);
        }
    }

    @Test
    void tensorBytesMatchTheLlama2cCheckpoint() throws Exception {
        // stories260K.bin (llama2.c) starts with a 7-int header, then token_embedding_table [vocab, dim] F32.
        Path gguf = TestData.require("stories260K.gguf");
        Path bin = TestData.require("stories260K.bin");
        byte[] checkpoint = Files.readAllBytes(bin);
        try (GgufFile file = GgufFile.open(gguf)) {
            Tensor embedding = file.tensor("token_embd.weight").orElseThrow();
            var layout = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(checkpoint).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < embedding.numElements(); i += 97) {
                assertEquals(bb.getFloat(28 + 4 * i), embedding.data().getAtIndex(layout, i), "element " + i);
            }
        }
    }

    @Test
    void readsDerivedFilesWithPerTensorTypes() {
        Set<TensorType> seen = new HashSet<>();
        for (String name : new String[]{"F16", "BF16", "Q8_0mix", "Q4_0mix"}) {
            try (GgufFile gguf = GgufFile.open(TestData.require("derived/stories260K-" + name + ".gguf"))) {
                assertEquals(48, gguf.tensors().size(), name);
                gguf.tensors().forEach(t -> seen.add(t.type()));
            }
        }
        assertTrue(seen.containsAll(Set.of(TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q8_0,
                TensorType.Q4_0, TensorType.Q5_0)), seen.toString());
    }

    @Test
    void readsVocabOnlyFiles() {
        for (String name : new String[]{"llama-spm", "phi-3", "gpt-2"}) {
            try (GgufFile gguf = GgufFile.open(TestData.require("llama.cpp-vocab/ggml-vocab-" + name + ".gguf"))) {
                assertTrue(gguf.metadata().getStringArray("tokenizer.ggml.tokens").length > 1000, name);
                assertTrue(gguf.tensors().isEmpty(), name);
            }
        }
    }

    @Test
    void closeUnmaps() {
        GgufFile gguf = GgufFile.open(TestData.require("stories260K.gguf"));
        Tensor t = gguf.tensors().get(0);
        gguf.close();
        assertThrows(IllegalStateException.class, () -> t.data().get(ValueLayout.JAVA_BYTE, 0));
    }
}
